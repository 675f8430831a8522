"""Pages encoded in worker processes: the same records, nothing lost when a worker dies."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.codec import decode_any
from hub.connect.encoder import PageEncoder
from hub.connect.encoder_pool import EncodingPool, PageEncoding
from hub.connect.encoder_worker import recipe_for
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.records import NativeRecord
from hub.connect.registry import discover
from hub.connect.runtime_options import RuntimeOptions
from hub.trust.keys import KeyStore
from hub.trust.signing import RecordVerifier

from ..contract.conftest import read_oracle

pytestmark = pytest.mark.integration

POPULATION = discover()["population"]


def _options(citizens: int, malformed_rate: float = 0.0) -> dict[str, Any]:
    seed = uuid.uuid4().int % 1_000_000
    return {"province": {"seed": seed, "citizens": citizens, "malformed_rate": malformed_rate}}


@pytest.fixture
async def pool() -> AsyncIterator[EncodingPool]:
    """A started pool of two workers, for this test only."""
    started = EncodingPool(2)
    assert await started.wait_ready()
    yield started
    started.close()


async def _read_back(host: ConnectorHost) -> tuple[dict[str, set[str]], int]:
    """Keys per entity of what the host's population topics hold (every signature checked)
    and the number of dead letters."""
    verifier = RecordVerifier(KeyStore(host.settings.trust().keys_dir).trusted_keys())
    keys: dict[str, set[str]] = {e: set() for e in POPULATION.entities}
    for entity in POPULATION.entities:
        topic = host.topics.canonical("population", entity)
        async for record in iter_to_end(host.bootstrap, host.settings, [topic]):
            assert verifier.check(record.key, record.value, record.headers) is None
            schema, _ = decode_any(host.schemas, record.value)
            assert schema.entity == entity
            keys[entity].add(record.key.decode())
    dead = host.topics.dead_letter("population")
    letters = [r async for r in iter_to_end(host.bootstrap, host.settings, [dead])]
    return keys, len(letters)


async def test_pooled_pages_publish_exactly_what_the_source_holds(
    host: ConnectorHost, pool: EncodingPool
) -> None:
    host.encoding = pool
    options = _options(1500, malformed_rate=0.05)
    oracle = await read_oracle(POPULATION, options)
    job = ConnectorJob(POPULATION, options, RuntimeOptions(batch_size=250))
    stats = (await host.run([job]))["population"]
    keys, dead_letters = await _read_back(host)
    assert pool.pages > 0, "no page was encoded in a worker"
    assert keys == oracle.keys
    assert stats.rejected == oracle.malformed == dead_letters > 0
    assert stats.pulled == oracle.natives


async def test_a_killed_worker_loses_nothing(host: ConnectorHost, pool: EncodingPool) -> None:
    host.encoding = pool
    options = _options(4000)
    oracle = await read_oracle(POPULATION, options)
    job = ConnectorJob(POPULATION, options, RuntimeOptions(batch_size=200, max_in_flight=2))
    run = asyncio.create_task(host.run([job]))
    while pool.pages < 3 and not run.done():
        await asyncio.sleep(0.005)
    assert not run.done(), "the sync ended before a worker could be killed"
    os.kill(pool.worker_pids()[0], signal.SIGKILL)
    stats = (await run)["population"]
    keys, _ = await _read_back(host)
    assert keys == oracle.keys
    assert stats.pulled == oracle.natives
    assert pool.workers == 0, "the pool was not given up"


async def test_a_mapper_that_cannot_be_pickled_is_run_inline(
    host: ConnectorHost, pool: EncodingPool
) -> None:
    mapper = POPULATION.make_mapper()
    mapper.hook = lambda: None  # type: ignore[attr-defined]  # lambdas do not pickle
    signer = host.signer("population")
    encoder = PageEncoder(POPULATION, mapper, host.schemas, host.topics, signer)
    recipe = recipe_for(POPULATION, mapper, host.schemas, host.topics, signer)
    assert PageEncoding(encoder, recipe, pool).parallel == 0
    assert PageEncoding(encoder, recipe_for(
        POPULATION, POPULATION.make_mapper(), host.schemas, host.topics, signer
    ), pool).parallel == 2  # fmt: skip


async def test_a_page_that_cannot_be_pickled_is_encoded_inline(
    host: ConnectorHost, pool: EncodingPool
) -> None:
    """A payload that cannot cross to a worker (here a lambda) is no failure: the pool
    declines the page and the runtime encodes it in its own process, as for a small page."""
    signer = host.signer("population")
    recipe = recipe_for(POPULATION, POPULATION.make_mapper(), host.schemas, host.topics, signer)
    records = [NativeRecord({"soDinhDanh": lambda: None}, position=f"p#{n}") for n in range(200)]
    assert await pool.encode(pickle.dumps(recipe), "citizens", records, None) is None
    encoder = PageEncoder(POPULATION, POPULATION.make_mapper(), host.schemas, host.topics, signer)
    page = await PageEncoding(encoder, recipe, pool).submit("citizens", records, None)
    assert page.rejected == 200  # dead letters, encoded inline
    assert pool.workers == 2, "the pool must not be given up for one page"
