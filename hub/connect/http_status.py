"""Translating a REST source's HTTP answers into the hub's exception tree.

Every REST-style adapter (and the served drop directory of CSV day exports) answers the
same way to the same statuses:

=================================  ==========================================
answer                             raised
=================================  ==========================================
200                                nothing
429                                ``RateLimitedError(retry_after=...)``
5xx                                ``RetriableSourceError``
any other status                   ``FatalSourceError``
timeout                            ``RetriableSourceError``
a body that is not a JSON object   ``RetriableSourceError`` (truncated answer)
=================================  ==========================================
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from hub.errors import FatalSourceError, RateLimitedError, RetriableSourceError
from hub.province.transport import MockResponse, SimulatedTimeout


class JsonService(Protocol):
    """A REST endpoint answering GET requests (the simulated services implement it)."""

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer a GET of ``path`` with query ``params``."""
        ...


def raise_for_status(response: MockResponse, what: str) -> None:
    """Raise the hub error that ``response``'s status calls for (nothing for 200).

    Args:
        response: the source's answer.
        what: what was called (a path or a short name), for the error message.

    Raises:
        RateLimitedError: on 429, with the ``Retry-After`` seconds (1 when absent).
        RetriableSourceError: on a server error (5xx).
        FatalSourceError: on any other status but 200.
    """
    if response.status == 200:
        return
    if response.status == 429:
        retry_after = float(response.headers.get("Retry-After", "1"))
        raise RateLimitedError(f"{what}: 429 Too Many Requests", retry_after=retry_after)
    if response.status >= 500:
        raise RetriableSourceError(f"{what}: server error {response.status}")
    raise FatalSourceError(f"{what}: refused with status {response.status}")


async def get_json_object(
    service: JsonService, path: str, params: dict[str, str]
) -> dict[str, Any]:
    """GET ``path`` and return the answer's JSON object, translating every failure.

    Raises:
        RetriableSourceError: on a timeout, a server error, or a body that is not a
            JSON object (a truncated answer).
        RateLimitedError: on 429.
        FatalSourceError: on any other refusal.
    """
    try:
        response = await service.get(path, params)
    except SimulatedTimeout as exc:
        raise RetriableSourceError(f"timeout calling {path}") from exc
    raise_for_status(response, path)
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise RetriableSourceError(f"truncated answer from {path}: {exc}") from exc
    if not isinstance(body, dict):
        raise RetriableSourceError(f"malformed answer from {path}: not an object")
    return body
