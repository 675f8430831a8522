"""The simulated wire between a mock source system and its adapter.

Mock services answer with a :class:`MockResponse` (status, headers, body bytes), or raise
:class:`SimulatedTimeout`, the way an HTTP or SOAP endpoint would. Adapters parse the
bytes for real, so truncated or malformed answers exercise real error paths.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hub.province.faults import FaultInjector, FaultKind

#: How long a simulated timeout takes (kept short so tests stay fast).
TIMEOUT_DELAY_S = 0.02


class SimulatedTimeout(Exception):
    """The simulated call did not answer in time."""


@dataclass(frozen=True, slots=True)
class MockResponse:
    """An answer from a mock source."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


async def faulty(faults: FaultInjector, answer: MockResponse) -> MockResponse:
    """Return ``answer``, or what the next fault turns it into.

    Raises:
        SimulatedTimeout: when the fault is a timeout.
    """
    fault = faults.next_fault()
    if fault is None:
        return answer
    if fault is FaultKind.TIMEOUT:
        await asyncio.sleep(TIMEOUT_DELAY_S)
        raise SimulatedTimeout("the source did not answer in time")
    if fault is FaultKind.SERVER_ERROR:
        return MockResponse(503, b'{"error": "Service Unavailable"}')
    if fault is FaultKind.RATE_LIMIT:
        return MockResponse(429, b'{"error": "Too Many Requests"}', {"Retry-After": "0.05"})
    return MockResponse(answer.status, answer.body[: max(1, len(answer.body) // 2)])
