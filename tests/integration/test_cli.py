"""The ``hub`` command as a user runs it: subprocesses, JSON on the last line."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

pytestmark = pytest.mark.integration

HUB = [sys.executable, "-m", "hub.cli.main"]


def hub(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``hub ARGS`` with ``env`` on top of a clean HUB_-free environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [*HUB, *args], env={**base, **env}, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def last_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON object on the last line of standard output."""
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def test_demo_starts_the_embedded_broker_and_reports_json(tmp_path: Path) -> None:
    result = hub("demo", "--citizens", "1000", "--json", env={"HUB_STATE_DIR": str(tmp_path)})
    summary = last_json(result)
    assert summary["broker"] == "embedded"
    population = summary["sources"]["population"]
    assert population["pulled"] > 1000
    assert population["published"] > 0
    assert population["published"] + population["rejected"] == population["pulled"]
    assert population["read_back"] == population["published"]
    for name, source in summary["sources"].items():
        assert source["published"] > 0, name
        assert source["rejected"] == source["malformed_injected"], name
    crosscheck = summary["crosscheck"]
    assert crosscheck["dossiers"] == sum(crosscheck["verdicts"].values()) > 0
    assert set(crosscheck["verdicts"]) <= {"MATCH", "MISMATCH", "REVIEW", "INCONCLUSIVE"}
    for kind, figures in crosscheck["accuracy"].items():
        if figures["injected"]:
            assert (figures["precision"], figures["recall"]) == (1.0, 1.0), kind
    assert summary["seconds"] > 0
    assert not (tmp_path / "broker.json").exists(), "the demo's own broker was not stopped"


def test_demo_uses_an_external_cluster_when_configured(bootstrap: str, tmp_path: Path) -> None:
    env = {"HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_STATE_DIR": str(tmp_path)}
    summary = last_json(hub("demo", "--citizens", "200", "--no-crosscheck", "--json", env=env))
    assert summary["broker"] == "external"
    assert summary["sources"]["population"]["published"] > 0


def test_bench_ingest_reports_hub_baseline_and_ratio(bootstrap: str, tmp_path: Path) -> None:
    env = {"HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_STATE_DIR": str(tmp_path)}
    before = asyncio.run(_topics(bootstrap))
    result = last_json(hub("bench", "ingest", "--records", "400", "--runs", "1", "--json", env=env))
    left = {t for t in asyncio.run(_topics(bootstrap)) - before if t.startswith("bench-")}
    assert not left, f"the benchmark left its topics behind: {sorted(left)}"
    assert result["citizens"] == 400
    assert result["records"] > 400  # the households published beside the citizens
    assert result["hub_records_per_s"] > 0
    assert result["baseline_records_per_s"] > 0
    assert result["ratio"] == pytest.approx(
        result["hub_records_per_s"] / result["baseline_records_per_s"], abs=0.002
    )


def test_broker_start_status_stop(tmp_path: Path) -> None:
    env = {"HUB_STATE_DIR": str(tmp_path)}
    started = last_json(hub("broker", "start", "--json", env=env))
    try:
        assert started["running"] is True
        assert (
            last_json(hub("broker", "status", "--json", env=env))["bootstrap"]
            == started["bootstrap"]
        )
        again = hub("broker", "start", env=env)
        assert again.returncode == 2
        assert "already running" in again.stderr
    finally:
        assert last_json(hub("broker", "stop", "--json", env=env))["stopped"] is True
    status = hub("broker", "status", "--json", env=env)
    assert status.returncode == 1
    assert json.loads(status.stdout.strip().splitlines()[-1]) == {"running": False}


def test_connectors_list_json() -> None:
    listed = last_json(hub("connectors", "list", "--json", env={}))
    names = {c["name"] for c in listed["connectors"]}
    assert "population" in names
    population = next(c for c in listed["connectors"] if c["name"] == "population")
    assert population["topics"] == ["population.citizen", "population.household"]


def test_bad_setting_fails_fast_naming_the_field() -> None:
    result = hub("connectors", "list", env={"HUB_TOPIC_PARTITIONS": "many"})
    assert result.returncode == 2
    assert "HUB_TOPIC_PARTITIONS" in result.stderr


def test_bench_crosscheck_reports_latency_and_materialisation(
    bootstrap: str, tmp_path: Path
) -> None:
    env = {"HUB_KAFKA_BOOTSTRAP": bootstrap, "HUB_STATE_DIR": str(tmp_path)}
    args = ("--citizens", "300", "--rate", "20", "--seconds", "2", "--runs", "1", "--json")
    before = asyncio.run(_topics(bootstrap))
    result = last_json(hub("bench", "crosscheck", *args, env=env, timeout=300))
    left = {t for t in asyncio.run(_topics(bootstrap)) - before if t.startswith("bench-")}
    assert not left, f"the benchmark left its topics behind: {sorted(left)}"
    assert result["dossiers"] == 40
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["materialise_records_per_s"] > 0
    assert result["bare_faust_records_per_s"] > 0
    assert result["ratio"] == pytest.approx(
        result["materialise_records_per_s"] / result["bare_faust_records_per_s"], abs=0.01
    )
