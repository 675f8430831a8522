"""A stream's last pages are published and committed while the next stream is fetched."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from connectors.population.adapter import PopulationAdapter
from connectors.population.mock import PopulationService
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.host import ConnectorHost
from hub.connect.records import Cursor, Page
from hub.connect.registry import discover
from hub.connect.runtime import ConnectorRuntime
from hub.connect.runtime_options import RuntimeOptions
from hub.errors import PublishError
from hub.province import Province, ProvinceConfig

pytestmark = pytest.mark.integration

POPULATION = discover()["population"]


class _WatchedAdapter(PopulationAdapter):
    """The population adapter, noting when each stream was fetched to its end."""

    def __init__(self, service: PopulationService) -> None:
        super().__init__(service)
        self.fetched_to_end: set[str] = set()
        self.households_fetched = asyncio.Event()
        self.household_pages = 0

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        page = await super().fetch(stream, cursor, limit)
        if stream == "households":
            self.household_pages += 1
            self.households_fetched.set()
        if not page.has_more:
            self.fetched_to_end.add(stream)
        return page


class _GatedCursors(KafkaCursorStore):
    """Holds the citizens' cursor commits made after their stream was fetched to its end
    until the households stream was fetched (or fails them, with ``fail``)."""

    def __init__(self, store: KafkaCursorStore, adapter: _WatchedAdapter, fail: bool) -> None:
        super().__init__(store.producer, store.bootstrap, store.settings, store.topic)
        self.adapter = adapter
        self.fail = fail
        self.waited_out = False

    async def commit(self, connector: str, stream: str, cursor: Cursor) -> None:
        if stream == "citizens" and "citizens" in self.adapter.fetched_to_end:
            if self.fail:
                raise PublishError("injected: the citizens' last commit failed")
            try:
                await asyncio.wait_for(self.adapter.households_fetched.wait(), 10)
            except TimeoutError:
                self.waited_out = True
        await super().commit(connector, stream, cursor)


async def _runtime(host: ConnectorHost, citizens: int, *, fail: bool) -> tuple[Any, Any, Any]:
    await host.prepare([POPULATION])
    province = Province(ProvinceConfig(seed=17, citizens=citizens, malformed_rate=0))
    adapter = _WatchedAdapter(PopulationService(province))
    cursors = _GatedCursors(host.cursors, adapter, fail)
    runtime = ConnectorRuntime(
        POPULATION, adapter, POPULATION.make_mapper(),
        publisher=host.publisher, cursors=cursors, schemas=host.schemas, topics=host.topics,
        metrics=host.metrics.connector("population"), signer=host.signer("population"),
        options=RuntimeOptions(batch_size=50),
    )  # fmt: skip
    return runtime, adapter, cursors


async def test_the_next_stream_is_fetched_before_the_last_pages_are_committed(
    host: ConnectorHost,
) -> None:
    runtime, adapter, cursors = await _runtime(host, 600, fail=False)
    stats = await runtime.run()
    assert not cursors.waited_out, "households waited for the citizens' last commit"
    assert adapter.fetched_to_end == {"citizens", "households"}
    assert stats.published == stats.pulled
    for stream in ("citizens", "households"):  # every stream's cursor committed by the end
        assert await host.cursors.load("population", stream) is not None


async def test_a_failed_drain_stops_the_cycle_at_the_next_page(host: ConnectorHost) -> None:
    runtime, adapter, _ = await _runtime(host, 3000, fail=True)
    with pytest.raises(PublishError, match="injected"):
        await runtime.run()
    assert "households" not in adapter.fetched_to_end, "the next stream was fetched in full"
    assert adapter.household_pages < 5
