"""``hub bench crosscheck``: verdict latency at a fixed offered rate, and materialisation.

1. Every connector syncs a synthetic province into fresh topics.
2. Materialisation: the cross-check's :class:`Materialiser` reads every canonical topic
   into the evidence tables (decode, version check, store); the baseline, in the same
   run, is a bare Faust agent (a separate worker process) that only consumes the same
   topics. Both are timed from their first record to their last.
3. Latency: a real worker (``hub crosscheck worker``) is offered dossiers at a fixed rate,
   alternately over HTTP (time to the answer) and through the dossiers topic (time from
   the acknowledged send to the verdict's arrival on the verdicts topic).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.topics import TopicNames, delete_topics_under
from hub.crosscheck.app import dossiers_topic, verdicts_topic
from hub.crosscheck.demo_run import running_worker
from hub.crosscheck.dossier import Dossier, dossier_json
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.generate import generate_dossiers
from hub.crosscheck.materialise import Materialiser
from hub.errors import HubError
from hub.metrics import HubMetrics
from hub.province import ProvinceConfig

#: Dossiers sent through each intake before timing starts.
WARM_UP = 20


async def bench_crosscheck(
    settings: HubSettings, bootstrap: str, *, citizens: int, rate: float, seconds: float,
    runs: int,
) -> dict[str, Any]:  # fmt: skip
    """Run the benchmark; return the figures ``hub bench crosscheck --json`` prints."""
    settings = settings.model_copy(
        update={"topic_prefix": f"{settings.topic_prefix}bench-cc-{uuid.uuid4().hex[:8]}."}
    )
    try:
        return await _measured(settings, bootstrap, citizens, rate, seconds, runs)
    finally:  # a benchmark leaves no topics behind
        await delete_topics_under(bootstrap, settings, [settings.topic_prefix])


async def _measured(
    settings: HubSettings, bootstrap: str, citizens: int, rate: float, seconds: float, runs: int
) -> dict[str, Any]:
    config = ProvinceConfig(seed=13, citizens=citizens, malformed_rate=0)
    schemas = SchemaStore(settings.schemas_dir)
    options = {"province": config.model_dump()}
    metrics = HubMetrics(CollectorRegistry())
    async with ConnectorHost(settings, bootstrap, metrics, schemas) as host:
        await host.run([ConnectorJob(spec, options) for spec in discover().values()])
    names = TopicNames(settings.topic_prefix)
    topics = [names.canonical(spec.name, e) for spec in discover().values() for e in spec.entities]
    records = sum([1 async for _ in iter_to_end(bootstrap, settings, topics)])
    hub_rates, bare_rates = [], []
    for _ in range(runs):
        hub_rates.append(await _materialise_rate(settings, bootstrap, schemas, topics, records))
        bare_rates.append(
            await _bare_faust_rate(bootstrap, topics, records, f"{settings.topic_prefix}bare")
        )
    dossiers = generate_dossiers(shared_province(config)).dossiers
    offered = [g.dossier for g in dossiers]
    latencies = await _latencies(settings, bootstrap, offered, rate, seconds)
    everything = latencies["http"] + latencies["topic"]
    hub_rate, bare_rate = statistics.median(hub_rates), statistics.median(bare_rates)
    return {
        "dossiers": len(everything),
        "rate": rate,
        "p50_ms": round(_quantile(everything, 0.50) * 1000, 2),
        "p99_ms": round(_quantile(everything, 0.99) * 1000, 2),
        "http_p50_ms": round(_quantile(latencies["http"], 0.50) * 1000, 2),
        "http_p99_ms": round(_quantile(latencies["http"], 0.99) * 1000, 2),
        "topic_p50_ms": round(_quantile(latencies["topic"], 0.50) * 1000, 2),
        "topic_p99_ms": round(_quantile(latencies["topic"], 0.99) * 1000, 2),
        "materialise_records": records,
        "materialise_records_per_s": round(hub_rate),
        "bare_faust_records_per_s": round(bare_rate),
        "ratio": round(hub_rate / bare_rate, 3),
        "runs": runs,
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _materialise_rate(
    settings: HubSettings, bootstrap: str, schemas: SchemaStore, topics: list[str], records: int
) -> float:
    """Records per second from the first record to caught up (as the baseline is timed)."""
    materialiser = Materialiser(bootstrap, settings, schemas, topics, InMemoryEvidence())
    stop = asyncio.Event()
    task = asyncio.create_task(materialiser.run(stop))
    await materialiser.wait_caught_up(300)
    stop.set()
    await task
    first, last = materialiser.first_record_at, materialiser.caught_up_at
    if first is None or last is None:
        raise HubError("the materialiser read nothing: no canonical records to time")
    return records / (last - first)


async def _bare_faust_rate(bootstrap: str, topics: list[str], records: int, app_id: str) -> float:
    """The bare Faust agent's records per second; its app id (and so the topics Faust
    creates for it) is under the benchmark's prefix, deleted at the end."""
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "bare.json"
        env = {**os.environ, "BENCH_APP_ID": app_id, "BENCH_BOOTSTRAP": bootstrap,
               "BENCH_TOPICS": ",".join(topics),
               "BENCH_RECORDS": str(records), "BENCH_OUTPUT": str(output),
               "BENCH_DATADIR": str(Path(scratch) / "faust")}  # fmt: skip
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [sys.executable, "-m", "hub.bench.bare_faust"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(1200):
                if output.exists() and output.stat().st_size:
                    break
                await asyncio.sleep(0.1)
            result = json.loads(output.read_text())
        finally:
            process.kill()
            process.wait()
    return float(result["records"]) / float(result["seconds"])


async def _latencies(
    settings: HubSettings, bootstrap: str, offered: list[Dossier], rate: float, seconds: float
) -> dict[str, list[float]]:
    topics = TopicNames(settings.topic_prefix)
    total = int(rate * seconds)
    sent_at: dict[str, float] = {}
    arrived: dict[str, float] = {}
    out: dict[str, list[float]] = {"http": [], "topic": []}
    async with running_worker(settings, bootstrap) as url:
        following = asyncio.Event()
        follower = asyncio.create_task(
            _follow(settings, bootstrap, verdicts_topic(topics), arrived, following)
        )
        await asyncio.wait_for(following.wait(), 60)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", **settings.security().client_kwargs()
        )
        await producer.start()
        try:
            async with aiohttp.ClientSession() as session:
                await _warm_up(session, url, producer, dossiers_topic(topics), offered)
                began = time.perf_counter()
                tasks = []
                for n in range(total):
                    await asyncio.sleep(max(0.0, began + n / rate - time.perf_counter()))
                    base = offered[n % len(offered)]
                    dossier = base.model_copy(update={"dossier_id": f"bench-{n:06d}"})
                    body = json.dumps(dossier_json(dossier), default=str).encode()
                    if n % 2:
                        tasks.append(asyncio.create_task(_post(session, url, body, out)))
                    else:
                        tasks.append(asyncio.create_task(_send(
                            producer, dossiers_topic(topics), dossier, body, sent_at)))  # fmt: skip
                await asyncio.gather(*tasks)
            for _ in range(600):
                if set(sent_at) <= set(arrived):
                    break
                await asyncio.sleep(0.05)
        finally:
            follower.cancel()
            await producer.stop()
    out["topic"] = [arrived[d] - t for d, t in sent_at.items() if d in arrived]
    return out


async def _warm_up(
    session: aiohttp.ClientSession, url: str, producer: AIOKafkaProducer, topic: str,
    offered: list[Dossier],
) -> None:  # fmt: skip
    """A few untimed dossiers through both intakes (connections, caches, first fetches)."""
    ignored: dict[str, list[float]] = {"http": []}
    for n, base in enumerate(offered[:WARM_UP]):
        dossier = base.model_copy(update={"dossier_id": f"warm-up-{n:03d}"})
        body = json.dumps(dossier_json(dossier), default=str).encode()
        await _post(session, url, body, ignored)
        await _send(producer, topic, dossier, body, {})
    await asyncio.sleep(1.0)


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, out: dict[str, list[float]]
) -> None:
    began = time.perf_counter()
    async with session.post(f"{url}/crosscheck", data=body,
                            headers={"Content-Type": "application/json"}) as answer:  # fmt: skip
        await answer.read()
    out["http"].append(time.perf_counter() - began)


async def _send(
    producer: AIOKafkaProducer, topic: str, dossier: Dossier, body: bytes,
    sent_at: dict[str, float],
) -> None:  # fmt: skip
    sent_at[dossier.dossier_id] = time.perf_counter()
    await producer.send_and_wait(topic, body, key=dossier.applicant.pin.encode())


async def _follow(
    settings: HubSettings,
    bootstrap: str,
    topic: str,
    arrived: dict[str, float],
    following: asyncio.Event,
) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        fetch_max_wait_ms=10,
        **settings.security().client_kwargs(),
    )
    await consumer.start()
    try:
        while not consumer.partitions_for_topic(topic):
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        await consumer.seek_to_end(*parts)
        for part in parts:  # resolve the positions now, before any verdict is published
            await consumer.position(part)
        following.set()
        while True:
            batch = await consumer.getmany(timeout_ms=10)
            now = time.perf_counter()
            for messages in batch.values():
                for message in messages:
                    arrived.setdefault(message.key.decode(), now)
    finally:
        await consumer.stop()
