"""The contract every connector passes, against the embedded broker.

Full sync, incremental sync after changes, resume after a restart with nothing missing,
a failing source recovered, malformed records dead-lettered with their reason, and every
published record decodable with its ``.avsc`` (fastavro and Apache Avro).
"""

from __future__ import annotations

import asyncio
import io
import json

import avro.io
import avro.schema
import pytest

from hub.connect import headers as h
from hub.connect.contract import ConnectorSpec
from hub.connect.host import ConnectorHost
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.resilience import RetryPolicy
from hub.province import ProvinceConfig

from .conftest import ample_options, job, mock_options, read_back, read_oracle

pytestmark = pytest.mark.integration

FAST_RETRY = {
    "retry": RetryPolicy(initial_delay_s=0.005, max_delay_s=0.02),
    "breaker_reset_s": 0.02,
}


async def test_full_sync_publishes_every_subject(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    options, oracle = await ample_options(spec, seed)
    stats = (await host.run([job(spec, options)]))[spec.name]
    back = await read_back(host, spec)
    assert stats.rejected == 0
    assert stats.pulled == oracle.natives
    assert all(oracle.keys[e] for e in spec.entities), "the mock source holds no data"
    assert back.keys == oracle.keys
    assert stats.published == sum(back.counts.values())


async def test_incremental_sync_after_changes(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    options, _ = await ample_options(spec, seed, minimum=1)
    await host.run([job(spec, options)])
    committed = {s.name: await host.cursors.load(spec.name, s.name) for s in spec.streams}
    assert all(c is not None for c in committed.values())

    shared_province(ProvinceConfig(**options["province"])).timeline.advance()
    expected = await read_oracle(spec, options, committed)
    second = (await host.run([job(spec, options)]))[spec.name]
    assert second.pulled == expected.natives
    assert second.published == sum(len(k) for k in expected.keys.values())

    third = (await host.run([job(spec, options)]))[spec.name]
    assert (third.pulled, third.published) == (0, 0)


async def test_resume_after_restart_misses_nothing(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    options, oracle = await ample_options(spec, seed)
    await host.prepare([spec])
    # Pages of two records, one in flight: even a sparse source spans several commits.
    first = host.runtime(job(spec, options, rate_limit_per_s=10, max_in_flight=1, batch_size=2))
    task = asyncio.create_task(first.run())
    stream = spec.streams[0].name
    commits = {"connector": spec.name}
    for _ in range(500):
        if host.metrics.registry.get_sample_value(
            "hub_connector_offset_commit_seconds_count", commits
        ):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    resumed_from = await host.cursors.load(spec.name, stream)
    assert resumed_from is not None, "the first run committed no cursor before the stop"

    second = (await host.run([job(spec, options)]))[spec.name]
    back = await read_back(host, spec)
    assert back.keys == oracle.keys
    assert second.pulled < oracle.natives, "the second run started from the beginning"


async def test_failing_source_is_retried_and_completes(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    scripted = ["timeout", "server_error", "rate_limit", "truncated"]
    options = mock_options(seed, faults={"rate": 0.2, "seed": seed, "script": scripted})
    oracle = await read_oracle(spec, mock_options(seed))
    await host.run([job(spec, options, **FAST_RETRY)])
    back = await read_back(host, spec)
    assert back.keys == oracle.keys
    retries = host.metrics.registry.get_sample_value(
        "hub_connector_retries_total", {"connector": spec.name}
    )
    assert retries
    assert retries >= len(scripted)


async def test_malformed_records_are_dead_lettered_with_reason(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    options = mock_options(seed, province={"citizens": 1500, "malformed_rate": 0.2})
    oracle = await read_oracle(spec, options)
    assert oracle.malformed > 0, "the mock source injected no malformed record"
    stats = (await host.run([job(spec, options)]))[spec.name]
    back = await read_back(host, spec)
    assert stats.rejected == oracle.malformed == len(back.dead_letters)
    province = shared_province(ProvinceConfig(**options["province"]))
    assert province.malformed_subjects(spec.name) == stats.rejected, "one bad record per subject"
    assert back.keys == oracle.keys
    for letter in back.dead_letters:
        headers = h.as_dict(letter.headers)
        assert headers[h.SOURCE] == spec.name
        assert headers[h.STAGE] in ("map", "validate")
        assert headers[h.ERROR]
        assert letter.value, "the raw payload is kept"
        json.loads(headers[h.CURSOR])


async def test_records_decode_with_apache_avro(
    host: ConnectorHost, spec: ConnectorSpec, seed: int
) -> None:
    options, _ = await ample_options(spec, seed, minimum=1)
    await host.run([job(spec, options)])
    for entity in spec.entities:
        version = host.schemas.get(spec.name, entity)
        reader = avro.io.DatumReader(avro.schema.parse(version.path.read_text()))
        topic = host.topics.canonical(spec.name, entity)
        decoded = 0
        async for record in iter_to_end(host.bootstrap, host.settings, [topic]):
            assert record.value[:2] == b"\xc3\x01"
            assert record.value[2:10] == version.fingerprint
            value = reader.read(avro.io.BinaryDecoder(io.BytesIO(record.value[10:])))
            assert isinstance(value, dict)
            headers = h.as_dict(record.headers)
            assert headers[h.SCHEMA] == version.fingerprint.hex()
            assert headers[h.SOURCE] == spec.name
            assert headers[h.SOURCE_VERSION]
            decoded += 1
        assert decoded > 0
