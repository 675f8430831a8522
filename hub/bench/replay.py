"""A recording wrapper around a mock service, so benchmarks time the hub, not the simulator.

The first pass asks the real (simulated) service and keeps each answer; later passes with
the same requests get the recorded bytes back at no cost, as if a fast source answered.
"""

from __future__ import annotations

from typing import Any, Protocol

from hub.province.transport import MockResponse


class PagedService(Protocol):
    """Anything with the mock services' ``get`` method."""

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer one request."""
        ...


class ReplayService:
    """Records answers from ``service`` and replays them for identical requests."""

    def __init__(self, service: PagedService) -> None:
        self.service = service
        self._answers: dict[tuple[str, tuple[tuple[str, str], ...]], MockResponse] = {}
        self.misses = 0

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """The recorded answer, or the service's (recorded now)."""
        key = (path, tuple(sorted(params.items())))
        answer = self._answers.get(key)
        if answer is None:
            self.misses += 1
            answer = self._answers[key] = await self.service.get(path, params)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)
