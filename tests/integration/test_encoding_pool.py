"""Pages encoded in worker processes: the same records, nothing lost when a worker dies."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import socket
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors.population.mock import PopulationService
from hub.codec import decode_any
from hub.connect.encoder import PageEncoder
from hub.connect.encoder_pool import EncodingPool
from hub.connect.encoder_worker import recipe_for
from hub.connect.framing import Framing
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.page_encoding import PageEncoding
from hub.connect.reader import iter_to_end
from hub.connect.records import NativeRecord
from hub.connect.registry import discover
from hub.connect.runtime_options import RuntimeOptions
from hub.connect.worker_channel import receive, send
from hub.connect.worker_link import WorkerLink
from hub.province import Province, ProvinceConfig
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


def _citizen_rows(count: int, first: int = 0) -> list[NativeRecord]:
    """``count`` rendered citizens of a small province, each with its position."""
    province = Province(ProvinceConfig(seed=3, citizens=first + count, malformed_rate=0))
    service = PopulationService(province)
    people = service.population
    return [
        NativeRecord(service.render_citizen(people.person(n)), position=f"row {n}")
        for n in range(first, first + count)
    ]


def _pin(row: NativeRecord) -> bytes:
    return str(row.payload["soDinhDanh"]).encode()


def _recipe(host: ConnectorHost) -> bytes:
    signer = host.signer("population")
    mapper = POPULATION.make_mapper()
    return pickle.dumps(recipe_for(POPULATION, mapper, host.schemas, host.topics, signer))


async def test_pages_beyond_the_idle_workers_wait_their_turn(host: ConnectorHost) -> None:
    """Six pages at once on two workers: each comes back whole, as its own page."""
    pool = EncodingPool(2)
    assert await pool.wait_ready()
    try:
        recipe = _recipe(host)
        pages = [_citizen_rows(120, first=200 * n) for n in range(6)]
        encoded = await asyncio.gather(
            *(pool.encode(recipe, "citizens", page, None) for page in pages)
        )
        assert pool.pages == 6
        for page, result in zip(pages, encoded, strict=True):
            assert result is not None and result.published == len(page)
            assert [m.key for m in result.messages] == [_pin(r) for r in page]
    finally:
        pool.close()


async def test_a_cancelled_page_leaves_its_worker_in_step(host: ConnectorHost) -> None:
    """A caller that gives up on a page does not leave its answer behind for the next
    page to read: the next page gets its own records back."""
    pool = EncodingPool(1)
    assert await pool.wait_ready()
    try:
        recipe = _recipe(host)
        first, second = _citizen_rows(400), _citizen_rows(150, first=1000)
        worker = pool.worker_pids()
        abandoned = asyncio.create_task(pool.encode(recipe, "citizens", first, None))
        await asyncio.sleep(0.01)  # handed over, being encoded
        abandoned.cancel()
        result = await asyncio.wait_for(pool.encode(recipe, "citizens", second, None), 30)
        assert result is not None and result.published == 150
        assert [m.key for m in result.messages] == [_pin(r) for r in second]
        assert pool.worker_pids() == worker, "the worker was replaced, not kept in step"
    finally:
        pool.close()


async def test_what_encoding_raises_in_a_worker_is_raised_to_the_caller(
    host: ConnectorHost, pool: EncodingPool
) -> None:
    """A framing that lacks a topic fails the page in the worker; the caller gets the
    error, and the pool keeps its workers."""
    lacking = Framing(partitions={})
    with pytest.raises(KeyError):
        await pool.encode(_recipe(host), "citizens", _citizen_rows(120), None, lacking)
    assert pool.workers == 2
    assert await pool.encode(_recipe(host), "citizens", _citizen_rows(120), None) is not None


async def test_a_closed_pool_starts_again_at_its_next_page(
    host: ConnectorHost, pool: EncodingPool
) -> None:
    before = pool.worker_pids()
    pool.close()
    assert pool.worker_pids() == []
    assert await pool.encode(_recipe(host), "citizens", _citizen_rows(120), None) is None
    assert await pool.wait_ready()
    assert set(pool.worker_pids()).isdisjoint(before)
    assert await pool.encode(_recipe(host), "citizens", _citizen_rows(120), None) is not None


async def test_closing_the_pool_ends_the_pages_in_progress(host: ConnectorHost) -> None:
    """Pages being encoded when the pool closes (or is given up after a worker died) come
    back as None at once, for their callers to encode: none waits on a closed channel."""
    pool = EncodingPool(2)
    assert await pool.wait_ready()
    recipe = _recipe(host)
    pages = [
        asyncio.create_task(pool.encode(recipe, "citizens", _citizen_rows(400), None))
        for _ in range(3)
    ]
    await asyncio.sleep(0.01)  # two handed over, one waiting for a worker
    pool.close()
    assert await asyncio.wait_for(asyncio.gather(*pages), 10) == [None, None, None]


async def test_workers_run_at_the_pools_niceness() -> None:
    """The workers yield the cores to the connector's process (and a broker beside it)."""
    pool = EncodingPool(1, niceness=7)
    try:
        assert await pool.wait_ready()
        (pid,) = pool.worker_pids()
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(ours + 7, 19)
    finally:
        pool.close()
    assert EncodingPool.shared(2, 5) is EncodingPool.shared(2, 5) is not EncodingPool.shared(2)


async def test_a_pool_without_workers_is_not_waited_for() -> None:
    assert not await asyncio.wait_for(EncodingPool(0).wait_ready(limit_s=30), 1)


class _Odd(Exception):
    """Pickles, but cannot be rebuilt from its arguments when unpickled."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(code)


async def test_an_answer_that_cannot_be_read_fails_its_page_only() -> None:
    """A worker's exception this process cannot rebuild fails that page with a
    RuntimeError; the worker stays in step and takes the page waiting behind it."""
    pool = EncodingPool(1)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    link = WorkerLink.__new__(WorkerLink)  # a thread plays the worker, on the other end
    link.channel, link.ready, link.busy_in = ours, True, None
    pool._slots = [link]

    def worker() -> None:
        for answer in [(False, _Odd(7, "x")), (False, KeyError("second"))]:
            receive(theirs), receive(theirs)
            send(theirs, pickle.dumps(answer))

    playing = threading.Thread(target=worker)
    playing.start()
    with theirs:
        first = asyncio.create_task(pool.encode(b"recipe", "citizens", [], None))
        second = asyncio.create_task(pool.encode(b"recipe", "citizens", [], None))
        with pytest.raises(RuntimeError, match="could not be read"):
            await asyncio.wait_for(first, 10)
        with pytest.raises(KeyError, match="second"):
            await asyncio.wait_for(second, 10)
        playing.join()
    assert link.busy_in is None and pool._slots == [link]
    ours.close()
