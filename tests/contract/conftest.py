"""The harness of the connector contract suite: run a connector, read back what it wrote.

The oracle for "nothing missing" is the connector itself without Kafka: its adapter and
mapper driven directly, page by page, from the beginning to the end of the source.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from hub.codec import decode_any
from hub.connect.contract import ConnectorSpec
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.records import Cursor
from hub.connect.registry import discover
from hub.connect.runtime_options import RuntimeOptions
from hub.errors import RecordError

CONNECTORS = list(discover().values())


def mock_options(seed: int, **extra: Any) -> dict[str, Any]:
    """Options of a small synthetic province, unique per test through ``seed``.

    500 people give the sparsest source (judicial records, about 2% of adults) about
    seven records on average, but some seeds give one or none: tests that need several
    records of every entity take their options from :func:`ample_options`.
    """
    province = {"seed": seed, "citizens": 500, "malformed_rate": 0.0}
    province.update(extra.pop("province", {}))
    return {"province": province, "page_size": 50, **extra}


@dataclass
class Oracle:
    """What the source holds, read directly: keys per entity and malformed record count."""

    keys: dict[str, set[str]] = field(default_factory=dict)
    malformed: int = 0
    natives: int = 0
    cursors: dict[str, Cursor | None] = field(default_factory=dict)


async def read_oracle(
    spec: ConnectorSpec, options: dict[str, Any], cursors: dict[str, Cursor | None] | None = None
) -> Oracle:
    """Drive the adapter and mapper directly from ``cursors`` (or the start) to the end."""
    oracle = Oracle(keys={e: set() for e in spec.entities})
    adapter, mapper = spec.make_adapter(options), spec.make_mapper()
    await adapter.open()
    try:
        for stream in spec.streams:
            cursor = (cursors or {}).get(stream.name)
            while True:
                page = await adapter.fetch(stream.name, cursor, 100)
                for native in page.records:
                    oracle.natives += 1
                    try:
                        for record in mapper.map(stream.name, native):
                            oracle.keys[record.entity].add(record.key)
                    except RecordError:
                        oracle.malformed += 1
                cursor = page.cursor
                if not page.has_more:
                    break
            oracle.cursors[stream.name] = cursor
    finally:
        await adapter.close()
    return oracle


async def ample_options(
    spec: ConnectorSpec, seed: int, minimum: int = 6
) -> tuple[dict[str, Any], Oracle]:
    """Options and oracle of the first province from ``seed`` on with ``minimum`` records.

    Every entity of ``spec`` must hold at least one record and the source at least
    ``minimum`` native records, so that a run with small pages spans several commits.
    """
    for candidate in range(seed, seed + 50):
        options = mock_options(candidate)
        oracle = await read_oracle(spec, options)
        if oracle.natives >= minimum and all(oracle.keys.values()):
            return options, oracle
    raise AssertionError(f"no province from seed {seed} holds {minimum} {spec.name} records")


@dataclass
class ReadBack:
    """What a connector's topics hold."""

    keys: dict[str, set[str]]
    counts: Counter[str]
    dead_letters: list[Any]


async def read_back(host: ConnectorHost, spec: ConnectorSpec) -> ReadBack:
    """Every record of the connector's canonical and dead-letter topics, decoded."""
    keys: dict[str, set[str]] = {e: set() for e in spec.entities}
    counts: Counter[str] = Counter()
    for entity in spec.entities:
        topic = host.topics.canonical(spec.name, entity)
        async for record in iter_to_end(host.bootstrap, host.settings, [topic]):
            schema, value = decode_any(host.schemas, record.value)
            assert schema.entity == entity
            assert value is not None
            keys[entity].add(record.key.decode())
            counts[entity] += 1
    dead = [
        r
        async for r in iter_to_end(
            host.bootstrap, host.settings, [host.topics.dead_letter(spec.name)]
        )
    ]
    return ReadBack(keys, counts, dead)


def job(spec: ConnectorSpec, options: dict[str, Any], **runtime: Any) -> ConnectorJob:
    """A job with small batches, so that runs span several pages and commits."""
    return ConnectorJob(spec, options, RuntimeOptions(**{"batch_size": 60, **runtime}))


@pytest.fixture(params=CONNECTORS, ids=[c.name for c in CONNECTORS])
def spec(request: pytest.FixtureRequest) -> ConnectorSpec:
    """Each registered connector in turn."""
    connector: ConnectorSpec = request.param
    return connector


@pytest.fixture
def seed() -> int:
    """A province seed unique to the test (provinces are shared per configuration)."""
    return uuid.uuid4().int % 1_000_000
