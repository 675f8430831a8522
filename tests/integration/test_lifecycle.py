"""The connector lifecycle as an operator runs it: run, SIGTERM, status, offsets, resync."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry

from hub.catalogue import build_catalogue
from hub.codec import decode_any
from hub.config import HubSettings
from hub.connect.cursor_store import cursor_key
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.runtime_options import RuntimeOptions
from hub.connect.status import read_cursors, status_topic_spec
from hub.metrics import HubMetrics

pytestmark = pytest.mark.integration

HUB = [sys.executable, "-m", "hub.cli.main"]
SECRET = "pop-t0ken-that-must-never-appear"
PIN = re.compile(r"(?<!\d)\d{12}(?!\d)")


def _config(path: Path, citizens: int, *, rate: float, page: int = 50) -> Path:
    path.write_text(
        f"[connectors.population.options]\npage_size = {page}\n"
        f"[connectors.population.options.province]\nseed = 11\ncitizens = {citizens}\n"
        "malformed_rate = 0.0\n"
        f"[connectors.population.runtime]\nbatch_size = {page}\nrate_limit_per_s = {rate}\n"
        "poll_interval_s = 0.5\n"
        "[connectors.population.secrets]\napi_token = { env = 'POP_TOKEN' }\n"
    )
    return path


def _env(settings: HubSettings) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return {
        **base,
        "HUB_TRUST_KEYS_DIR": os.environ["HUB_TRUST_KEYS_DIR"],  # the session's keys: signing
        "HUB_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "HUB_TOPIC_PREFIX": settings.topic_prefix,
        "HUB_TOPIC_PARTITIONS": "3",
        "HUB_STATE_DIR": str(settings.state_dir),
        "POP_TOKEN": SECRET,
    }


async def hub(settings: HubSettings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hub ARGS`` in a subprocess without blocking the event loop."""
    return await asyncio.to_thread(
        subprocess.run, [*HUB, *args], env=_env(settings), capture_output=True, text=True,
        timeout=180, check=False,
    )  # fmt: skip


def last_json(result: subprocess.CompletedProcess[str], status: int = 0) -> dict[str, Any]:
    """The JSON object on the last line of stdout; checks the exit status and hygiene."""
    assert result.returncode == status, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert not PIN.search(result.stdout + result.stderr), "an identifier was printed"
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


async def _citizen_records(settings: HubSettings, bootstrap: str) -> list[Any]:
    topic = f"{settings.topic_prefix}population.citizen"
    return [r async for r in iter_to_end(bootstrap, settings, [topic])]


async def test_sigterm_stops_gracefully_and_a_restart_resumes(
    settings: HubSettings, bootstrap: str, tmp_path: Path
) -> None:
    citizens = 3000
    slow = _config(tmp_path / "slow.toml", citizens, rate=5)
    offsets = f"{settings.topic_prefix}hub.connect.offsets"
    process = await asyncio.create_subprocess_exec(
        *HUB, "connectors", "run", "--config", str(slow), "--heartbeat", "1", "--json",
        env=_env(settings), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):
            if "population/citizens" in await read_cursors(bootstrap, settings, offsets):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("no cursor was committed")
        await asyncio.sleep(1.2)  # a heartbeat or two
        running = last_json(await hub(settings, "connectors", "status", "--json"))
        (population,) = [c for c in running["connectors"] if c["name"] == "population"]
        assert population["state"] == "running"
        refused = last_json(await hub(settings, "offsets", "reset", "population", "--json"), 1)
        assert refused["refused"] is True
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    out, err = stdout.decode(), stderr.decode()
    assert process.returncode == 0, err
    assert SECRET not in out + err
    first = json.loads(out.strip().splitlines()[-1])
    assert first["stopped_by"] == "SIGTERM"
    stopped_at = first["sources"]["population"]
    assert 0 < stopped_at["pulled"] < citizens, "the run was not still going"
    records = await _citizen_records(settings, bootstrap)
    assert len(records) == stopped_at["published"], "in-flight records were not acknowledged"
    cursors = await read_cursors(bootstrap, settings, offsets)
    assert "population/citizens" in cursors

    status = last_json(await hub(settings, "connectors", "status", "population", "--json"))
    (entry,) = status["connectors"]
    assert entry["state"] == "stopped"
    assert entry["published"] == stopped_at["published"]
    assert entry["streams"][0]["committed_at"] is not None

    fast = _config(tmp_path / "fast.toml", citizens, rate=0, page=500)
    second = last_json(await hub(settings, "connectors", "run", "--config", str(fast),
                                 "--once", "--json"))  # fmt: skip
    assert second["sources"]["population"]["resumed"]["citizens"] is True
    records = await _citizen_records(settings, bootstrap)
    assert len({r.key for r in records}) == citizens
    assert len(records) == citizens, "the restart re-read records the cursor had committed"


async def test_offsets_show_reset_and_resync(
    settings: HubSettings, bootstrap: str, tmp_path: Path
) -> None:
    citizens = 300
    config = _config(tmp_path / "c.toml", citizens, rate=0, page=100)
    last_json(await hub(settings, "connectors", "run", "--config", str(config), "--once", "--json"))
    shown = last_json(await hub(settings, "offsets", "show", "population", "--json"))
    assert {s["stream"]: s["committed"] for s in shown["streams"]} == {
        "citizens": True,
        "households": True,
    }
    citizens_cursor = shown["streams"][0]["cursor"]
    assert citizens_cursor["key"].startswith("sha256:")

    reset = await hub(
        settings, "offsets", "reset", "population", "--stream", "households", "--json"
    )
    assert last_json(reset)["reset"] == ["households"]
    shown = last_json(await hub(settings, "offsets", "show", "population", "--json"))
    assert {s["stream"]: s["committed"] for s in shown["streams"]} == {
        "citizens": True,
        "households": False,
    }
    bad = await hub(settings, "offsets", "reset", "population", "--stream", "nope")
    assert bad.returncode == 2 and "no stream nope" in bad.stderr

    before = await _citizen_records(settings, bootstrap)
    resync = last_json(
        await hub(settings, "resync", "population", "--config", str(config), "--json")
    )
    assert resync["mode"] == "synced now"
    assert resync["sync"]["pulled"] >= citizens
    assert resync["sync"]["resumed"] == {"citizens": False, "households": False}
    after = await _citizen_records(settings, bootstrap)
    assert len(after) == 2 * len(before) == 2 * citizens  # the canonical topic stays
    newest: dict[bytes, str] = {}
    for record in after:
        _, value = decode_any_value(settings, record.value)
        newest[record.key] = max(newest.get(record.key, ""), value["meta"]["source_version"])
    assert len(newest) == citizens
    shown = last_json(await hub(settings, "offsets", "show", "population", "--json"))
    assert shown["streams"][0]["cursor"] == citizens_cursor  # same source, same end


def decode_any_value(settings: HubSettings, value: bytes) -> tuple[Any, dict[str, Any]]:
    """Decode a canonical value with the project's schemas."""
    from hub.codec import SchemaStore

    return decode_any(SchemaStore(settings.schemas_dir), value)


async def test_the_catalogue_matches_the_topics_the_host_creates(host: ConnectorHost) -> None:
    specs = list(discover().values())
    created = {t.name: t for t in [*host.topic_specs(specs), status_topic_spec(host.topics)]}
    listed = {t.topic: t for t in build_catalogue(specs, host.schemas, host.settings)}
    assert set(created) == set(listed)
    for name, spec in created.items():
        assert listed[name].partitions == spec.partitions
        assert listed[name].config == spec.config


async def _cursors_committed(host: ConnectorHost, keys: set[str], limit_s: float = 60) -> None:
    for _ in range(int(limit_s / 0.1)):
        if keys <= set(await host.cursors.load_all()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"cursors never committed: {keys}")


async def test_a_cursor_reset_while_following_resyncs_that_stream_only(
    host: ConnectorHost,
) -> None:
    """An operator's reset is not a broker that lost its data: no other stream resyncs."""
    options = {"province": {"seed": 23, "citizens": 400, "malformed_rate": 0.0}}
    job = ConnectorJob(discover()["population"], options, RuntimeOptions(poll_interval_s=0.2))
    keys = {cursor_key("population", s) for s in ("citizens", "households")}
    stop = asyncio.Event()
    following = asyncio.create_task(host.run([job], follow=True, stop=stop))
    try:
        await _cursors_committed(host, keys)
        households_topic = host.topics.canonical("population", "household")
        households = [
            r async for r in iter_to_end(host.bootstrap, host.settings, [households_topic])
        ]
        citizens = await _citizen_records(host.settings, host.bootstrap)
        await host.cursors.reset("population", "households")  # what `hub offsets reset` writes
        await _cursors_committed(host, keys)  # the households stream synced again
        await asyncio.sleep(0.6)  # a few more polls: nothing else moves
    finally:
        stop.set()
    stats = (await asyncio.wait_for(following, 30))["population"]
    assert host.generation == 0, "the reset was taken for a broker that lost its data"
    assert stats.pulled == len(citizens) + 2 * len(households)
    again = [r async for r in iter_to_end(host.bootstrap, host.settings, [households_topic])]
    assert len(again) == 2 * len(households)
    assert len(await _citizen_records(host.settings, host.bootstrap)) == len(citizens)


async def test_a_caught_up_follower_notices_its_loaded_cursor_vanish(
    host: ConnectorHost,
) -> None:
    """A follower that only ever loaded its cursors (a restart found them committed, and
    nothing new came since) takes their disappearance for a lost broker at once: it
    re-creates the topics and resyncs once, rather than first re-reading a stream as if
    new and only then stumbling on the misshapen offsets topic."""
    options = {"province": {"seed": 29, "citizens": 300, "malformed_rate": 0.0}}
    spec = discover()["population"]
    keys = {cursor_key("population", s) for s in ("citizens", "households")}
    earlier = await host.run([ConnectorJob(spec, options)])  # it committed both cursors
    await _cursors_committed(host, keys)
    stop = asyncio.Event()
    job = ConnectorJob(spec, options, RuntimeOptions(poll_interval_s=0.2))
    metrics = HubMetrics(CollectorRegistry())
    async with ConnectorHost(host.settings, host.bootstrap, metrics, host.schemas) as restarted:
        following = asyncio.create_task(restarted.run([job], follow=True, stop=stop))
        try:
            await asyncio.sleep(1.0)  # several caught-up polls: nothing to commit
            assert restarted.generation == 0
            admin = AIOKafkaAdminClient(bootstrap_servers=host.bootstrap)
            await admin.start()
            try:  # the offsets topic gone, as with a broker that lost its data
                await admin.delete_topics([host.topics.offsets()])
            finally:
                await admin.close()
            for _ in range(100):
                if restarted.generation:
                    break
                await asyncio.sleep(0.1)
            assert restarted.generation == 1, "the vanished cursors were not taken for a loss"
            full = earlier["population"].pulled
            for _ in range(100):  # the resync, counted as it polls
                if _polled(metrics) >= full:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # time enough for a second resync, were one coming
            assert _polled(metrics) == full, "not exactly one full resync"
            await _cursors_committed(restarted, keys)
        finally:
            stop.set()
        await asyncio.wait_for(following, 30)


def _polled(metrics: HubMetrics) -> float:
    return sum(
        metrics.registry.get_sample_value(
            "hub_connector_records_polled_total", {"connector": "population", "stream": s}
        )
        or 0.0
        for s in ("citizens", "households")
    )
