"""The population connector end to end on the embedded broker.

A source outage and rate limits are injected in ``test_connector_faults.py``.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from hub.codec import decode_any
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.runtime_options import RuntimeOptions

pytestmark = pytest.mark.integration

POPULATION = discover()["population"]


def _options(citizens: int, malformed_rate: float = 0.0) -> dict[str, object]:
    seed = uuid.uuid4().int % 1_000_000
    return {"province": {"seed": seed, "citizens": citizens, "malformed_rate": malformed_rate}}


async def _citizen_keys(host: ConnectorHost) -> list[bytes]:
    topic = host.topics.canonical("population", "citizen")
    keys = []
    async for record in iter_to_end(host.bootstrap, host.settings, [topic]):
        schema, value = decode_any(host.schemas, record.value)
        assert schema.full_name == "vn.gov.hub.population.Citizen"
        assert value["pin"].encode() == record.key
        keys.append(record.key)
    return keys


async def test_n_citizens_in_n_distinct_keys_out(host: ConnectorHost) -> None:
    stats = (await host.run([ConnectorJob(POPULATION, _options(1500))]))["population"]
    keys = await _citizen_keys(host)
    assert len(set(keys)) == 1500
    assert stats.rejected == 0


async def test_bad_records_go_to_the_dead_letter_topic_and_the_rest_is_published(
    host: ConnectorHost,
) -> None:
    options = _options(800, malformed_rate=0.02)
    stats = (await host.run([ConnectorJob(POPULATION, options)]))["population"]
    assert stats.rejected > 0
    assert len(set(await _citizen_keys(host))) == 800 - stats.rejected
    errors = host.metrics.registry.get_sample_value(
        "hub_connector_dead_letter_records_total", {"connector": "population"}
    )
    assert errors == stats.rejected


async def test_resume_continues_from_the_committed_cursor(host: ConnectorHost) -> None:
    options = _options(600)
    await host.prepare([POPULATION])
    slow = host.runtime(
        ConnectorJob(POPULATION, options, RuntimeOptions(batch_size=50, rate_limit_per_s=20))
    )
    task = asyncio.create_task(slow.run())
    while not host.metrics.registry.get_sample_value(
        "hub_connector_offset_commit_seconds_count", {"connector": "population"}
    ):
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cursor = await host.cursors.load("population", "citizens")
    assert cursor is not None
    adapter = POPULATION.make_adapter(options)
    remaining = 0
    position = cursor
    while True:
        page = await adapter.fetch("citizens", position, 500)
        remaining += len(page.records)
        position = page.cursor
        if not page.has_more:
            break
    assert 0 < remaining < 600
    polled = {"connector": "population", "stream": "citizens"}
    registry = host.metrics.registry
    before = registry.get_sample_value("hub_connector_records_polled_total", polled) or 0

    await host.run([ConnectorJob(POPULATION, options)])
    after = registry.get_sample_value("hub_connector_records_polled_total", polled) or 0
    assert after - before == remaining, "the second run did not start at the committed cursor"
    assert len(set(await _citizen_keys(host))) == 600
