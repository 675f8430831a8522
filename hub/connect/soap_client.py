"""The adapter side of SOAP 1.1 sources: build requests, parse answers, translate failures.

:class:`SoapClient` posts an envelope through a transport and returns the operation's
``<Operation>Response`` element, or raises from the hub's exception tree:

====================================================  =====================================
answer                                                raised
====================================================  =====================================
no answer in time (``SimulatedTimeout``, ``TimeoutError``)  ``RetriableSourceError`` "timeout"
HTTP 429                                              ``RateLimitedError(retry_after=...)``
SOAP fault ``Server`` / ``Server.*``                  ``RetriableSourceError``
SOAP fault ``Client*``, ``VersionMismatch``, others   ``FatalSourceError``
HTTP 5xx without a fault (503 from a gateway)         ``RetriableSourceError``
other non-200 status                                  ``FatalSourceError``
XML that is not well-formed                           ``RetriableSourceError`` "truncated"
a DTD in the answer (forbidden by SOAP 1.1)           ``FatalSourceError``
no ``<Operation>Response`` element                    ``FatalSourceError``
====================================================  =====================================

:func:`element_record` turns one record element into the plain ``dict`` a mapper gets
(local names, text values, nested dicts, lists for repeatable elements), and the
``field_*`` helpers read such dicts, raising :class:`~hub.errors.MappingError` with the
field's name when a value is missing or has the wrong shape.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Protocol
from xml.sax.saxutils import escape

from hub.errors import FatalSourceError, MappingError, RateLimitedError, RetriableSourceError
from hub.province.transport import SimulatedTimeout

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_ENVELOPE = f"{{{SOAP_ENV_NS}}}Envelope"
_BODY = f"{{{SOAP_ENV_NS}}}Body"
_FAULT = f"{{{SOAP_ENV_NS}}}Fault"


class HttpAnswer(Protocol):
    """What a transport returns (:class:`~hub.province.transport.MockResponse` fits)."""

    @property
    def status(self) -> int:
        """HTTP status code."""

    @property
    def body(self) -> bytes:
        """Body bytes."""

    @property
    def headers(self) -> dict[str, str]:
        """Response headers."""


class SoapTransport(Protocol):
    """Posts bytes to a path (a mock service, or an HTTP client in production)."""

    async def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        """Send one request and return the answer; may raise ``SimulatedTimeout``."""
        ...


def build_envelope(operation: str, namespace: str, params: Mapping[str, object]) -> bytes:
    """A SOAP 1.1 request envelope calling ``operation`` with ``params`` (None omitted)."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body>',
        f'<{operation} xmlns="{namespace}">',
    ]
    for name, value in params.items():
        if value is not None:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    parts.append(f"</{operation}></soap:Body></soap:Envelope>")
    return "".join(parts).encode("utf-8")


def fault_error(code: str, message: str, what: str) -> FatalSourceError | RetriableSourceError:
    """The hub error for a SOAP fault with ``faultcode`` ``code`` (prefix ignored)."""
    local = code.rsplit(":", 1)[-1].strip()
    text = f"{what}: SOAP fault {local}: {message}"
    if local == "Server" or local.startswith("Server."):
        return RetriableSourceError(text)
    return FatalSourceError(text)


def _raise_fault(fault: ET.Element, what: str) -> None:
    code = fault.findtext("faultcode") or ""
    message = (fault.findtext("faultstring") or "").strip()
    raise fault_error(code, message, what)


def _soap_body(body: bytes, what: str) -> ET.Element | None:
    """The parsed ``soap:Body``, or None when the bytes are no SOAP envelope."""
    if b"<!DOCTYPE" in body:
        raise FatalSourceError(f"{what}: answer carries a DTD, which SOAP forbids")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise RetriableSourceError(f"{what}: truncated or malformed XML ({exc})") from exc
    return root.find(_BODY) if root.tag == _ENVELOPE else None


def parse_answer(answer: HttpAnswer, operation: str, namespace: str) -> ET.Element:
    """The ``<operation>Response`` element of an answer, or the hub error it means.

    Raises:
        RateLimitedError, RetriableSourceError, FatalSourceError: see the module table.
    """
    what = operation
    status = answer.status
    if status == 429:
        retry_after = _retry_after(answer.headers)
        raise RateLimitedError(f"{what}: 429 Too Many Requests", retry_after=retry_after)
    if status not in (200, 500):
        if status >= 500:
            raise RetriableSourceError(f"{what}: server unavailable ({status})")
        raise FatalSourceError(f"{what}: refused with HTTP {status}")
    soap_body = _soap_body(answer.body, what)
    if soap_body is None:
        if status == 500:
            raise RetriableSourceError(f"{what}: server error 500 without a SOAP fault")
        raise FatalSourceError(f"{what}: answer is not a SOAP 1.1 envelope")
    fault = soap_body.find(_FAULT)
    if fault is not None:
        _raise_fault(fault, what)
    found = soap_body.find(f"{{{namespace}}}{operation}Response")
    if found is None:
        raise FatalSourceError(f"{what}: no {operation}Response element in the answer")
    return found


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


class SoapClient:
    """Calls operations of one SOAP 1.1 service.

    Args:
        transport: where requests go.
        path: the service's endpoint path.
        namespace: the namespace of its operations and data elements.
    """

    def __init__(self, transport: SoapTransport, *, path: str, namespace: str) -> None:
        self.transport = transport
        self.path = path
        self.namespace = namespace

    async def call(self, operation: str, params: Mapping[str, object]) -> ET.Element:
        """Call ``operation`` and return its ``<operation>Response`` element.

        Raises:
            RetriableSourceError: timeouts, server faults, 5xx, truncated XML.
            RateLimitedError: HTTP 429 (with the ``Retry-After`` seconds when given).
            FatalSourceError: client faults, refusals, answers that are not SOAP.
        """
        request = build_envelope(operation, self.namespace, params)
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{self.namespace}/{operation}"',
        }
        try:
            answer = await self.transport.post(self.path, request, headers)
        except (SimulatedTimeout, TimeoutError) as exc:
            raise RetriableSourceError(f"{operation}: timeout") from exc
        return parse_answer(answer, operation, self.namespace)

    def child_text(self, element: ET.Element, name: str) -> str | None:
        """Text of the direct child ``name`` (in the service namespace), if present."""
        return element.findtext(f"{{{self.namespace}}}{name}")

    def children(self, element: ET.Element, name: str) -> list[ET.Element]:
        """Direct children called ``name`` (in the service namespace)."""
        return element.findall(f"{{{self.namespace}}}{name}")


def element_record(element: ET.Element, lists: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One record element as a dict of local names to text, dicts or lists.

    Elements named in ``lists`` always become lists; another element that repeats
    becomes a list too, which mappers refuse where they expect a single value.
    Empty elements become None.
    """
    out: dict[str, Any] = {}
    for child in element:
        name = child.tag.rsplit("}", 1)[-1]
        value: Any = element_record(child, lists) if len(child) else child.text
        if name in lists:
            out.setdefault(name, []).append(value)
        elif name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out


def field_text(record: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    """The text of field ``name``, stripped; None when absent and not required.

    Raises:
        MappingError: missing while required, or not text (repeated or nested).
    """
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise MappingError(f"{name}: missing")
        return None
    if not isinstance(value, str):
        raise MappingError(f"{name}: expected text, got {type(value).__name__}")
    return value.strip()


def field_required(record: Mapping[str, Any], name: str) -> str:
    """The text of a required field (see :func:`field_text`)."""
    value = field_text(record, name)
    assert value is not None
    return value


def field_dict(record: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The nested element ``name`` as a dict, or None when absent.

    Raises:
        MappingError: present but not a single nested element.
    """
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise MappingError(f"{name}: expected an element with children")
    return value


def field_list(record: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The repeatable element ``name`` as a list of dicts (empty when absent).

    Raises:
        MappingError: an item is not an element with children.
    """
    value = record.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise MappingError(f"{name}: expected elements with children")
    return items
