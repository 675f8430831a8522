"""The SOAP 1.1 helpers: envelopes both ways, faults, HTTP errors and truncated XML."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from hub.connect.fetcher import failure_kind
from hub.connect.soap_client import (
    SoapClient,
    build_envelope,
    element_record,
    field_dict,
    field_list,
    field_text,
    parse_answer,
)
from hub.errors import FatalSourceError, MappingError, RateLimitedError, RetriableSourceError
from hub.province.faults import FaultInjector, FaultKind
from hub.province.soap import SoapRequest, SoapService, fault, parse_request, response
from hub.province.transport import MockResponse

NS = "urn:test:dichvu:v1"


class EchoService(SoapService):
    """Answers ``TimKiem`` with its parameters as records."""

    namespace = NS
    path = "/ws/echo"

    def operations(self) -> dict[str, Callable[[SoapRequest], MockResponse]]:
        return {"TimKiem": self._search}

    def _search(self, request: SoapRequest) -> MockResponse:
        size = request.integer("soLuong", 2, low=1, high=10)
        rows = [
            {"ma": str(n), "ten": request.params.get("ten"), "Con": [{"x": "1"}]}
            for n in range(size)
        ]
        return response("TimKiem", NS, {"conTiep": "0", "BanGhi": rows})


def _client(service: SoapService) -> SoapClient:
    return SoapClient(service, path=service.path, namespace=NS)


def test_request_envelope_round_trips_with_escaping() -> None:
    body = build_envelope("TimKiem", NS, {"ten": "Nguyễn & <Văn>", "trang": 2, "bo": None})
    request = parse_request(body, NS)
    assert request.operation == "TimKiem"
    assert request.params == {"ten": "Nguyễn & <Văn>", "trang": "2"}


async def test_request_in_another_namespace_is_a_client_fault() -> None:
    service = EchoService()
    body = build_envelope("TimKiem", "urn:other", {})
    answer = await service.post(service.path, body, {})
    with pytest.raises(FatalSourceError, match="Client"):
        parse_answer(answer, "TimKiem", NS)


async def test_call_returns_the_response_element_and_records() -> None:
    answer = await _client(EchoService()).call("TimKiem", {"ten": "Lê Thị Hà", "soLuong": 3})
    rows = [element_record(e, frozenset({"Con"})) for e in answer.findall(f"{{{NS}}}BanGhi")]
    assert [r["ma"] for r in rows] == ["0", "1", "2"]
    assert rows[0] == {"ma": "0", "ten": "Lê Thị Hà", "Con": [{"x": "1"}]}
    assert answer.findtext(f"{{{NS}}}conTiep") == "0"


async def test_unknown_operation_is_fatal() -> None:
    with pytest.raises(FatalSourceError, match="unknown operation"):
        await _client(EchoService()).call("XoaHet", {})


async def test_bad_parameter_is_fatal() -> None:
    with pytest.raises(FatalSourceError, match="soLuong"):
        await _client(EchoService()).call("TimKiem", {"soLuong": "nhiều"})


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("soap:Server", RetriableSourceError),
        ("soap:Server.Busy", RetriableSourceError),
        ("soap:Client", FatalSourceError),
        ("soap:Client.Authentication", FatalSourceError),
        ("soap:VersionMismatch", FatalSourceError),
    ],
)
def test_fault_codes_map_to_the_error_tree(code: str, error: type[Exception]) -> None:
    answer = fault(code.removeprefix("soap:"), "thông điệp")
    with pytest.raises(error) as raised:
        parse_answer(answer, "TimKiem", NS)
    assert type(raised.value) is error


def test_fault_in_a_200_answer_is_still_a_fault() -> None:
    answer = fault("Server", "bận", status=200)
    with pytest.raises(RetriableSourceError, match="SOAP fault Server"):
        parse_answer(answer, "TimKiem", NS)


def test_rate_limit_carries_retry_after() -> None:
    answer = MockResponse(429, b"", {"Retry-After": "1.5"})
    with pytest.raises(RateLimitedError) as raised:
        parse_answer(answer, "TimKiem", NS)
    assert raised.value.retry_after == 1.5


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, RetriableSourceError), (502, RetriableSourceError), (404, FatalSourceError)],
)
def test_http_statuses(status: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_answer(MockResponse(status, b"down"), "TimKiem", NS)


def test_500_without_a_fault_is_retriable() -> None:
    with pytest.raises(RetriableSourceError, match="without a SOAP fault"):
        parse_answer(MockResponse(500, b"<html>oops</html>"), "TimKiem", NS)


def test_truncated_xml_is_retriable_and_labelled_truncated() -> None:
    whole = response("TimKiem", NS, {"BanGhi": [{"ma": "1"}]})
    cut = MockResponse(200, whole.body[: len(whole.body) // 2])
    with pytest.raises(RetriableSourceError) as raised:
        parse_answer(cut, "TimKiem", NS)
    assert failure_kind(raised.value) == "truncated"


def test_dtd_is_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(FatalSourceError, match="DTD"):
        parse_answer(MockResponse(200, body), "TimKiem", NS)


def test_missing_response_element_is_fatal() -> None:
    answer = response("TimKiemKhac", NS, {})
    with pytest.raises(FatalSourceError, match="TimKiemResponse"):
        parse_answer(answer, "TimKiem", NS)


def test_non_envelope_is_fatal() -> None:
    with pytest.raises(FatalSourceError, match="not a SOAP"):
        parse_answer(MockResponse(200, b"<a/>"), "TimKiem", NS)


async def test_injected_faults_become_hub_errors() -> None:
    faults = FaultInjector()
    faults.script(
        FaultKind.TIMEOUT,
        FaultKind.SERVER_ERROR,
        FaultKind.SERVER_ERROR,
        FaultKind.RATE_LIMIT,
        FaultKind.TRUNCATED,
    )
    client = _client(EchoService(faults))
    seen: list[str] = []
    for _ in range(5):
        with pytest.raises(RetriableSourceError) as raised:
            await client.call("TimKiem", {})
        seen.append(failure_kind(raised.value))
    assert seen == ["timeout", "server", "server", "rate_limit", "truncated"]
    assert len((await client.call("TimKiem", {})).findall(f"{{{NS}}}BanGhi")) == 2


def test_element_record_shapes() -> None:
    answer = parse_answer(
        response("TimKiem", NS, {"R": {"a": "1", "b": ["x", "y"], "c": None, "L": [{"z": "2"}]}}),
        "TimKiem",
        NS,
    )
    record = element_record(answer[0], frozenset({"L"}))
    assert record == {"a": "1", "b": ["x", "y"], "L": [{"z": "2"}]}
    empty = parse_answer(response("TimKiem", NS, {"R": {"e": ""}}), "TimKiem", NS)
    assert element_record(empty[0]) == {"e": None}


def test_field_helpers() -> None:
    row: Mapping[str, object] = {"a": " x ", "b": ["1", "2"], "c": {"d": "1"}, "e": None}
    assert field_text(row, "a") == "x"
    assert field_text(row, "e", required=False) is None
    with pytest.raises(MappingError, match="e: missing"):
        field_text(row, "e")
    with pytest.raises(MappingError, match="b: expected text"):
        field_text(row, "b")
    assert field_dict(row, "c") == {"d": "1"}
    with pytest.raises(MappingError):
        field_dict(row, "a")
    assert field_list(row, "c") == [{"d": "1"}]
    assert field_list(row, "zz") == []
    with pytest.raises(MappingError):
        field_list(row, "b")
