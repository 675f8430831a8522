"""Pages cross to the encoding workers unchanged, whichever way their payloads travel."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from hub.connect.page_crossing import pack_page, unpack_page
from hub.connect.records import NativeRecord


class _Code(str):
    """A text subclass (orjson would write it as plain text)."""


_JSON_ROWS: list[Any] = [
    {"soDinhDanh": "001099012345", "hoVaTen": "Nguyễn Văn An", "tuoi": 27, "diem": 8.5},
    {"thanhVien": [{"soDinhDanh": "001199054321"}], "ghiChu": None, "hoatDong": True},
    ["not", "an", "object"],
]


def _travels_as_json(page: bytes) -> bool:
    payloads = pickle.loads(page)[0]
    return isinstance(payloads, bytes)


@pytest.mark.parametrize("json_payloads", [False, True])
def test_json_rows_cross_unchanged(json_payloads: bool) -> None:
    records = [
        NativeRecord(row, raw=b"raw" if n == 1 else None, position=f"citizens@p#{n}")
        for n, row in enumerate(_JSON_ROWS)
    ]
    page = pack_page(records, json_payloads)
    assert _travels_as_json(page) is json_payloads
    assert unpack_page(page) == records


def test_rows_as_the_population_adapter_parses_them_travel_as_json() -> None:
    body = orjson.dumps({"danhSach": _JSON_ROWS, "tong": 2**63 - 1, "diem": -0.0})
    records = [NativeRecord(orjson.loads(body), position="p#0")]
    page = pack_page(records, json_payloads=True)
    assert _travels_as_json(page)
    assert unpack_page(page) == records


@pytest.mark.parametrize(
    "payload",
    [
        {"n": 2**70},
        {"when": date(2025, 7, 1)},
        {"at": datetime(2025, 7, 1, tzinfo=UTC)},
        {"code": _Code("074")},
        {"raw": b"\x00"},
    ],
    ids=["65-bit integer", "date", "datetime", "str subclass", "bytes"],
)
def test_payloads_orjson_would_refuse_or_turn_into_text_are_pickled(payload: Any) -> None:
    """An adapter that says JSON but hands over something JSON would refuse or change
    into text still gets its payloads across unchanged, pickled."""
    records = [NativeRecord(payload, position="p#0"), NativeRecord({"n": 1}, position="p#1")]
    page = pack_page(records, json_payloads=True)
    assert not _travels_as_json(page)
    assert unpack_page(page) == records
    [received] = unpack_page(page)[0].payload.values()
    [sent] = payload.values()
    assert type(received) is type(sent)  # a str subclass stays one


def test_non_json_payloads_of_other_adapters_keep_their_types() -> None:
    records = [NativeRecord({"when": (2025, 7, 1), "raw": b"\x00\x01"}, position="row 1")]
    assert unpack_page(pack_page(records, json_payloads=False)) == records


def test_a_payload_that_cannot_be_pickled_is_refused() -> None:
    with pytest.raises((TypeError, AttributeError)):
        pack_page([NativeRecord({"hook": lambda: None})], json_payloads=False)
