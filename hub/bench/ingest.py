"""``hub bench ingest``: the connector ingest path against raw aiokafka, same broker, same run.

Hub: population mock source (answers pre-recorded, so the simulator's own cost is not
counted) → adapter (JSON parsing, paging) → mapping and normalisation → Avro validation
and encoding → signing (Ed25519, the source's key) → batch produce, acks=all → cursor
commit.

Baseline: raw aiokafka producing the very messages the hub produced, citizens and
households (same keys, values, headers, sizes), one ``send`` per message as its
documentation shows, with the same producer settings, to fresh topics laid out as the
hub's (one per canonical topic, the same partitions). The batch-API variant of the
baseline is reported too, for context.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from hub.bench.replay import ReplayService
from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.contract import ConnectorSpec
from hub.connect.encoder_pool import EncodingPool
from hub.connect.host import ConnectorHost
from hub.connect.publisher import BatchPublisher, OutgoingMessage
from hub.connect.reader import iter_to_end
from hub.connect.runtime import ConnectorRuntime
from hub.connect.topics import TopicNames, TopicSpec, delete_topics_under, ensure_topics
from hub.metrics import HubMetrics
from hub.province import Province, ProvinceConfig


async def bench_ingest(
    settings: HubSettings, bootstrap: str, spec: ConnectorSpec, records: int, runs: int
) -> dict[str, Any]:
    """Run ``runs`` rounds of hub and baseline; return medians and their ratio."""
    from connectors.population.adapter import PopulationAdapter
    from connectors.population.mock import PopulationService

    province = Province(ProvinceConfig(seed=11, citizens=records, malformed_rate=0))
    replay = ReplayService(PopulationService(province))
    schemas = SchemaStore(settings.schemas_dir)
    hub_rates: list[float] = []
    send_rates: list[float] = []
    batch_rates: list[float] = []
    messages: list[OutgoingMessage] = []
    pool = EncodingPool.shared(settings.encode_workers, settings.encode_worker_niceness)
    await pool.wait_ready()
    own = f"{settings.topic_prefix}bench-{uuid.uuid4().hex[:8]}-"  # all this run's topics
    try:
        for round_number in range(runs + 1):
            run_settings = settings.model_copy(update={"topic_prefix": f"{own}{round_number}."})
            async with ConnectorHost(
                run_settings, bootstrap, HubMetrics(CollectorRegistry()), schemas
            ) as host:
                await host.prepare([spec])
                runtime = ConnectorRuntime(
                    spec, PopulationAdapter(replay), spec.make_mapper(),  # type: ignore[arg-type]
                    publisher=host.publisher, cursors=host.cursors, schemas=schemas,
                    topics=host.topics, metrics=host.metrics.connector(spec.name),
                    signer=host.signer(spec.name), encoding=host.encoding,
                )  # fmt: skip
                began = time.perf_counter()
                stats = await runtime.run()
                elapsed = time.perf_counter() - began
                if round_number == 0:  # warm-up: records the source answers and the messages
                    messages = await _produced(bootstrap, run_settings, host.topics, spec)
                    # The simulated province and its recorded answers live in this process, as
                    # no real source would: keep the garbage collector from rescanning them.
                    gc.freeze()
                    continue
                hub_rates.append(stats.published / elapsed)
            send_rates.append(await _baseline(settings, bootstrap, own, messages, batch=False))
            batch_rates.append(await _baseline(settings, bootstrap, own, messages, batch=True))
    finally:  # a benchmark leaves no topics behind, on a real cluster least of all
        await delete_topics_under(bootstrap, settings, [own])
    hub_rate = statistics.median(hub_rates)
    send_rate = statistics.median(send_rates)
    batch_rate = statistics.median(batch_rates)
    return {
        "records": len(messages),  # a round's canonical records: citizens and households
        "citizens": records,
        "runs": runs,
        "hub_records_per_s": round(hub_rate),
        "baseline_records_per_s": round(send_rate),
        "ratio": round(hub_rate / send_rate, 3),
        "baseline_batch_api_records_per_s": round(batch_rate),
        "ratio_to_batch_api": round(hub_rate / batch_rate, 3),
        "hub_runs_records_per_s": [round(r) for r in hub_rates],
        "baseline_runs_records_per_s": [round(r) for r in send_rates],
    }


async def _produced(
    bootstrap: str, settings: HubSettings, topics: TopicNames, spec: ConnectorSpec
) -> list[OutgoingMessage]:
    """Every message the hub published to the connector's canonical topics, with its topic."""
    names = [topics.canonical(spec.name, entity) for entity in spec.entities]
    return [
        OutgoingMessage(r.topic, r.key, r.value, list(r.headers))
        async for r in iter_to_end(bootstrap, settings, names)
    ]


async def _baseline(
    settings: HubSettings,
    bootstrap: str,
    prefix: str,
    messages: list[OutgoingMessage],
    *,
    batch: bool,
) -> float:
    # One fresh topic for each topic the hub wrote, with the same partitions.
    run = uuid.uuid4().hex[:8]
    twin = {
        t: f"{prefix}baseline-{run}-{n}" for n, t in enumerate(sorted({m.topic for m in messages}))
    }
    await ensure_topics(
        bootstrap, settings, [TopicSpec(t, settings.topic_partitions) for t in twin.values()]
    )
    replay = [OutgoingMessage(twin[m.topic], m.key, m.value, m.headers) for m in messages]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **settings.producer_kwargs())
    await producer.start()
    try:
        for topic in twin.values():
            await producer.partitions_for(topic)
        began = time.perf_counter()
        if batch:
            acked = await BatchPublisher(producer).publish(replay)
            await acked
        else:
            futures = [
                await producer.send(m.topic, m.value, key=m.key, headers=m.headers) for m in replay
            ]
            await asyncio.gather(*futures)
        return len(messages) / (time.perf_counter() - began)
    finally:
        await producer.stop()
