"""SOAP 1.1 on the simulated wire: what the mock XML services of the province share.

A mock SOAP service receives an envelope (``POST`` body bytes plus a ``SOAPAction``
header), dispatches on the operation element inside ``soap:Body`` and answers with an
envelope whose body holds ``<Operation>Response`` in the service's namespace. Records
are rendered from plain Python data (:func:`render`): a dict is an element with children,
a list repeats its element, None omits it, anything else is escaped text.

Failures look like they do on a real SOAP endpoint (:func:`soap_faulty`):

=============  ==========================================================================
fault          answer
=============  ==========================================================================
timeout        :class:`~hub.province.transport.SimulatedTimeout` after a short delay
server_error   alternately HTTP 500 with a ``soap:Server`` fault, and HTTP 503 with
               ``Retry-After`` (an overloaded gateway in front of the service)
rate_limit     HTTP 429 with ``Retry-After``
truncated      HTTP 200 whose XML body is cut off half-way (not well-formed)
=============  ==========================================================================

Bad requests get HTTP 500 with a ``soap:Client`` fault, as SOAP 1.1 prescribes.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from hub.province.faults import FaultInjector, FaultKind
from hub.province.transport import TIMEOUT_DELAY_S, MockResponse, SimulatedTimeout

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
RETRY_AFTER_S = "0.05"

_HEAD = (
    f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body>'
)
_TAIL = "</soap:Body></soap:Envelope>"


class SoapClientFault(Exception):
    """The request is wrong (answered with a ``soap:Client`` fault)."""


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """A parsed SOAP request: the operation's local name and its parameters as text."""

    operation: str
    params: dict[str, str]

    def integer(self, name: str, default: int, *, low: int = 0, high: int = 10**9) -> int:
        """Parameter ``name`` as an integer within [low, high].

        Raises:
            SoapClientFault: not an integer, or out of range.
        """
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SoapClientFault(f"{name}: not an integer") from None
        if not low <= value <= high:
            raise SoapClientFault(f"{name}: outside {low}..{high}")
        return value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_request(body: bytes, namespace: str) -> SoapRequest:
    """Parse a request envelope whose operation lives in ``namespace``.

    Raises:
        SoapClientFault: not a SOAP 1.1 envelope, or the operation is in another namespace.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SoapClientFault(f"request is not well-formed XML: {exc}") from None
    soap_body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope" or soap_body is None or len(soap_body) == 0:
        raise SoapClientFault("not a SOAP 1.1 envelope with a body")
    operation = soap_body[0]
    if not operation.tag.startswith(f"{{{namespace}}}"):
        raise SoapClientFault(f"operation is not in namespace {namespace}")
    params = {_local(child.tag): (child.text or "").strip() for child in operation}
    return SoapRequest(_local(operation.tag), params)


def render(tag: str, value: Any, out: list[str]) -> None:
    """Append the XML of ``value`` as element ``tag`` to ``out`` (see the module doc)."""
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            render(tag, item, out)
    elif isinstance(value, dict):
        out.append(f"<{tag}>")
        for key, item in value.items():
            render(key, item, out)
        out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{escape(str(value))}</{tag}>")


def response(operation: str, namespace: str, content: Mapping[str, Any]) -> MockResponse:
    """A 200 answer: ``<operation>Response`` in ``namespace`` holding ``content``."""
    out = [_HEAD, f'<{operation}Response xmlns="{namespace}">']
    for key, value in content.items():
        render(key, value, out)
    out.append(f"</{operation}Response>{_TAIL}")
    return MockResponse(200, "".join(out).encode("utf-8"), {"Content-Type": CONTENT_TYPE})


def fault(code: str, message: str, *, status: int = 500) -> MockResponse:
    """A SOAP 1.1 fault answer; ``code`` is ``Client``, ``Server`` or a dotted subcode."""
    body = (
        f"{_HEAD}<soap:Fault><faultcode>soap:{escape(code)}</faultcode>"
        f"<faultstring>{escape(message)}</faultstring></soap:Fault>{_TAIL}"
    )
    return MockResponse(status, body.encode("utf-8"), {"Content-Type": CONTENT_TYPE})


class SoapFaultState:
    """Turns injected faults into SOAP-style failures (alternating the server-error form)."""

    def __init__(self, faults: FaultInjector) -> None:
        self.faults = faults
        self._server_errors = 0

    async def apply(self, answer: MockResponse) -> MockResponse:
        """Return ``answer`` or what the next injected fault turns it into.

        Raises:
            SimulatedTimeout: when the fault is a timeout.
        """
        kind = self.faults.next_fault()
        if kind is None:
            return answer
        if kind is FaultKind.TIMEOUT:
            await asyncio.sleep(TIMEOUT_DELAY_S)
            raise SimulatedTimeout("the SOAP endpoint did not answer in time")
        if kind is FaultKind.RATE_LIMIT:
            return MockResponse(429, b"Too Many Requests", {"Retry-After": RETRY_AFTER_S})
        if kind is FaultKind.SERVER_ERROR:
            self._server_errors += 1
            if self._server_errors % 2:
                return fault("Server", "Lỗi hệ thống, vui lòng thử lại sau")
            return MockResponse(503, b"Service Unavailable", {"Retry-After": RETRY_AFTER_S})
        return MockResponse(answer.status, answer.body[: max(1, len(answer.body) // 2)])


class SoapService(ABC):
    """Base of the mock SOAP services: envelope parsing, dispatch, faults, call counting.

    Subclasses set :attr:`namespace` and :attr:`path` and implement :meth:`operations`.

    Args:
        faults: fault injection for every call.
    """

    namespace: str = ""
    path: str = "/"

    def __init__(self, faults: FaultInjector | None = None) -> None:
        self.faults = SoapFaultState(faults or FaultInjector())
        self.calls = 0

    @abstractmethod
    def operations(self) -> dict[str, Callable[[SoapRequest], MockResponse]]:
        """The service's operations by local name."""

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> MockResponse:
        """Answer one HTTP POST (may raise :class:`SimulatedTimeout`)."""
        self.calls += 1
        if path != self.path:
            return MockResponse(404, b"Not Found")
        try:
            request = parse_request(body, self.namespace)
            handler = self.operations().get(request.operation)
            if handler is None:
                raise SoapClientFault(f"unknown operation {request.operation}")
            action = headers.get("SOAPAction", "").strip('"')
            if action and not action.endswith(request.operation):
                raise SoapClientFault("SOAPAction does not name the operation in the body")
            answer = handler(request)
        except SoapClientFault as exc:
            answer = fault("Client", str(exc))
        return await self.faults.apply(answer)
