"""Nothing is lost under faults: connectors killed, sources failing, the broker restarted.

Each test injects a fault into a real run and then accounts for every source record
exactly (:mod:`tests.accounting`): published at least once, or dead-lettered with a
reason. Duplicates are allowed, losses are not.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from hub.broker import EmbeddedBroker
from hub.codec import SchemaStore
from hub.config import HubSettings, load_settings
from hub.connect.contract import ConnectorSpec
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.registry import discover
from hub.connect.resilience import RetryPolicy
from hub.connect.runtime_options import RuntimeOptions
from hub.connect.status import read_cursors
from hub.connect.topics import TopicNames, describe_cluster
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.materialise import Materialiser
from hub.metrics import HubMetrics
from hub.province import ProvinceConfig
from tests.accounting import Account, assert_exact, read_delivered
from tests.integration.test_lifecycle import HUB, _env, last_json
from tests.sources import SourceTruth, read_source

pytestmark = pytest.mark.integration

CONNECTORS = discover()


def _seed() -> int:
    """A fresh seed per test, or ``HUB_TEST_SEED`` to replay a failure (the seed is printed
    on standard output, which pytest shows for a failing test)."""
    seed = int(os.environ.get("HUB_TEST_SEED") or uuid.uuid4().int % 1_000_000)
    print(f"seed: {seed} (replay with HUB_TEST_SEED={seed})")
    return seed


async def _account(
    bootstrap: str, settings: HubSettings, spec: ConnectorSpec, truth: SourceTruth,
    settle_s: float = 10.0,
) -> Account:  # fmt: skip
    """Exact accounting of ``spec``'s topics against ``truth``. The topics are read again
    for up to ``settle_s`` seconds before failing, so that a read-back racing the broker
    does not fail the test; a lost record stays missing however long one waits."""
    deadline = time.monotonic() + settle_s
    while True:
        try:
            return assert_exact(truth, await read_delivered(bootstrap, settings, spec))
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(1.0)


async def _eventually(check: Callable[[], Awaitable[None]], limit_s: float, what: str) -> None:
    """Run ``check`` until it passes (no AssertionError) or ``limit_s`` seconds passed."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            await check()
            return
        except AssertionError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} after {limit_s:.0f}s: {exc}") from exc
        await asyncio.sleep(0.5)


# --- a connector process killed with SIGKILL, again and again ----------------------------

KILLED = ("population", "driving_licences")  # paged REST and CSV day files
KILLS = 4


def _kill_config(path: Path, province: dict[str, Any]) -> Path:
    """Both connectors, rate-limited so that a full sync takes about five seconds."""
    text = ""
    for name in KILLED:
        text += f"[connectors.{name}.options]\npage_size = 100\n"
        text += f"[connectors.{name}.options.province]\n"
        text += "".join(f"{k} = {v!r}\n" for k, v in province.items())
        text += f"[connectors.{name}.runtime]\nbatch_size = 100\nrate_limit_per_s = 10\n"
    path.write_text(text)
    return path


def _subprocess_env(settings: HubSettings) -> dict[str, str]:
    """The lifecycle tests' environment, with no fixed metrics port (a killed process's
    successor must not wait for its port)."""
    return {**_env(settings), "HUB_METRICS_PORT": "0"}


async def _drain(process: asyncio.subprocess.Process, syncing: asyncio.Event) -> None:
    """Read the process's log to its end; set ``syncing`` once a connector runs (the
    progress line of its state change to ``running``)."""
    assert process.stderr is not None
    async for line in process.stderr:
        if b"hub.progress" in line and b": running," in line:
            syncing.set()
    syncing.set()  # it ended: let the waiter see that


async def test_sigkill_at_random_moments_loses_nothing_and_resumes(
    settings: HubSettings, bootstrap: str, schemas: SchemaStore, tmp_path: Path
) -> None:
    seed = _seed()
    rng = random.Random(seed)
    province = {"seed": seed, "citizens": 4000, "malformed_rate": 0.005}
    config = _kill_config(tmp_path / "killed.toml", province)
    command = [*HUB, "connectors", "run", "--config", str(config), "--once", "--json"]
    env = _subprocess_env(settings)
    for _ in range(KILLS):
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        syncing = asyncio.Event()
        draining = asyncio.create_task(_drain(process, syncing))
        await asyncio.wait_for(syncing.wait(), 60)  # started however slowly, then:
        await asyncio.sleep(rng.uniform(0.5, 2.0))  # a random moment of the sync
        assert process.returncode is None, "the sync ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        assert await process.wait() == -signal.SIGKILL
        await draining
    offsets = await read_cursors(bootstrap, settings, TopicNames(settings.topic_prefix).offsets())
    assert "population/citizens" in offsets, "the killed runs committed nothing"

    final = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(final.communicate(), 120)
    status = await final.wait()
    completed = subprocess.CompletedProcess(command, status, out.decode(), err.decode())
    summary = last_json(completed)["sources"]  # also: no identifier printed
    options = {"province": province, "page_size": 100}
    for name in KILLED:
        spec = CONNECTORS[name]
        truth = await read_source(spec, options, schemas)
        account = await _account(bootstrap, settings, spec, truth)
        assert account.malformed > 0
        if name == "population":
            assert summary[name]["resumed"]["citizens"] is True
            assert summary[name]["pulled"] < truth.natives, "the last run started from zero"


# --- a source outage of several seconds, and a source answering rate limits often ---------

FAULTY_SOURCES = ["population", "health_insurance", "identity_cards"]  # REST, SQL, SOAP


@pytest.mark.parametrize("name", FAULTY_SOURCES)
async def test_outage_and_rate_limits_are_retried_and_every_record_is_accounted_for(
    host: ConnectorHost, name: str
) -> None:
    """Several seconds of server errors mid-run, and the first two and a quarter of all
    other calls refused with a rate limit (HTTP 429 with Retry-After for REST and SOAP, "too
    many connections, retry after" for SQL)."""
    spec = CONNECTORS[name]
    seed = _seed()
    clean = {"province": {"seed": seed, "citizens": 900, "malformed_rate": 0.01}, "page_size": 60}
    faults = {"rate": 0.25, "kinds": ["rate_limit"], "seed": seed,
              "script": ["rate_limit", "rate_limit"],
              "outage_after_calls": 5, "outage_s": 2.5, "outage_kind": "server_error"}  # fmt: skip
    options = RuntimeOptions(
        batch_size=60,
        retry=RetryPolicy(initial_delay_s=0.05, max_delay_s=0.4),
        breaker_failures=4,
        breaker_reset_s=0.3,
    )
    await host.prepare([spec])
    runtime = host.runtime(ConnectorJob(spec, {**clean, "faults": faults}, options))
    began = time.monotonic()
    task = asyncio.create_task(runtime.run())
    states = set()
    while not task.done():
        states.add(runtime.state)
        await asyncio.sleep(0.01)
    stats = await task
    assert time.monotonic() - began > 2.5, "the run did not span the outage"
    assert "degraded" in states
    account = await _account(
        host.bootstrap, host.settings, spec, await read_source(spec, clean, host.schemas)
    )
    assert account.malformed > 0 and stats.rejected == account.dead_letters
    sample = host.metrics.registry.get_sample_value
    failures = {
        kind: sample("hub_source_failures_total", {"connector": name, "kind": kind}) or 0
        for kind in ("server", "rate_limit", "timeout", "truncated")
    }
    assert failures["server"] >= 2, "the outage was not seen"
    assert failures["rate_limit"] >= 2, "no rate limit was answered"
    retries = sample("hub_connector_retries_total", {"connector": name})
    assert retries == sum(failures.values()), "every failed call is retried, and counted"


# --- the broker restarted: it comes back empty ----------------------------------------------


def _held_version(evidence: InMemoryEvidence, entity: str, key: str) -> str | None:
    held = evidence._get(entity, key)
    return None if held is None else held.source_version


async def test_a_restarted_broker_is_resynced_in_full_and_the_evidence_recovers(
    tmp_path: Path, schemas: SchemaStore
) -> None:
    broker = EmbeddedBroker(tmp_path / "broker")
    bootstrap = broker.start(detach=False).bootstrap
    port = int(bootstrap.rsplit(":", 1)[1])
    settings = load_settings(
        kafka_bootstrap=bootstrap, topic_prefix="r.", topic_partitions=3,
        state_dir=tmp_path / "state",
    )  # fmt: skip
    config = ProvinceConfig(seed=_seed(), citizens=600, malformed_rate=0.01)
    options = {"province": config.model_dump(), "page_size": 100}
    specs = [CONNECTORS["population"], CONNECTORS["health_insurance"]]
    runtime = RuntimeOptions(batch_size=100, poll_interval_s=0.3)
    jobs = [ConnectorJob(spec, options, runtime) for spec in specs]
    topics = TopicNames(settings.topic_prefix)
    canonical = [topics.canonical(s.name, e) for s in specs for e in s.entities]
    evidence = InMemoryEvidence()
    stop = asyncio.Event()

    async def everything_delivered() -> None:
        for task in (connectors, following):  # a crash surfaces at once, not as a timeout
            if task.done():
                task.result()
                pytest.fail("a follower returned before it was stopped")
        for spec in specs:
            truth = await read_source(spec, options, schemas)
            await _account(bootstrap, settings, spec, truth, settle_s=0)
            stale = [
                at for at, version in truth.versions.items()
                if at not in truth.deleted and _held_version(evidence, *at) != version
            ]  # fmt: skip
            assert not stale, f"{spec.name}: {len(stale)} records not held at their version"

    try:
        metrics = HubMetrics(CollectorRegistry())
        async with ConnectorHost(settings, bootstrap, metrics, schemas) as host:
            connectors = asyncio.create_task(host.run(jobs, follow=True, stop=stop))
            materialiser = Materialiser(bootstrap, settings, schemas, canonical, evidence)
            following = asyncio.create_task(materialiser.run(stop))
            await _eventually(everything_delivered, 60, "not delivered before the restart")
            held_before = len(evidence)

            broker.stop()
            changed = shared_province(config).timeline.advance()  # sources change meanwhile
            await asyncio.sleep(2)
            broker.start(port=port, detach=False)

            await _eventually(everything_delivered, 90, "not delivered after the restart")
            assert host.generation >= 1, "the loss was never noticed"
            held = (await describe_cluster(host.producer.client)).partitions
            wanted = {t.name: t.partitions for t in host.topic_specs(specs)}
            assert {name: held.get(name) for name in wanted} == wanted, "topics misshapen"
            stop.set()
            await asyncio.wait_for(asyncio.gather(connectors, following), 30)
        assert len(evidence) >= held_before
        assert changed, "the province did not change during the outage"
    finally:
        stop.set()
        broker.stop()
