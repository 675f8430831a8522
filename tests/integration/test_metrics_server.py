"""The metrics server over HTTP: a real connector sync, scraped like Prometheus would."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from asyncio.subprocess import PIPE, STDOUT

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from hub.broker.embedded import free_port
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.registry import discover
from hub.metrics import HubMetrics
from hub.metrics.catalogue import CATALOGUE
from hub.metrics.server import MetricsServer, MetricsSettings, kafka_check, source_check

pytestmark = pytest.mark.integration

LOCAL = MetricsSettings(host="127.0.0.1", port=0)
#: Label values that would betray a person or a document: a 12-digit PIN, a 9- or
#: 10-digit card or tax number, a UUID, any long run of digits.
IDENTIFIER_LIKE = re.compile(r"\d{9,}|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}|[0-9a-f]{32}")


def _promtool() -> str:
    """promtool's path; CI must have it (fail), a developer machine may not (skip)."""
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("promtool is missing: CI must install Debian's `prometheus` package")
    pytest.skip("promtool not installed (apt-get install prometheus)")


async def _get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


def _samples(exposition: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


async def test_a_synced_connector_is_scraped_with_sensible_values(
    host: ConnectorHost, metrics: HubMetrics, bootstrap: str
) -> None:
    checks = {
        "broker": kafka_check(bootstrap),
        "source:population": source_check(metrics.registry, "population"),
    }
    async with MetricsServer(metrics.registry, LOCAL, checks) as server:
        assert (await _get(f"{server.url}/health"))[0] == 200
        status, _, body = await _get(f"{server.url}/ready")
        assert status == 503, body
        assert json.loads(body)["failing"] == ["source:population"]

        seed = uuid.uuid4().int % 1_000_000
        job = ConnectorJob(discover()["population"], {"province": {"seed": seed, "citizens": 300}})
        stats = (await host.run([job]))["population"]

        status, _, body = await _get(f"{server.url}/ready")
        assert status == 200, body
        status, content_type, exposition = await _get(f"{server.url}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")

    families = {f.name for f in text_string_to_metric_families(exposition)}
    samples = _samples(exposition)
    for definition in CATALOGUE:  # every family is declared, even with no samples yet
        base = definition.name.removesuffix("_total") if definition.type == "counter" else None
        assert (base or definition.name) in families, definition.name
    connector = {"connector": "population"}
    written = sum(v for labels, v in samples["hub_connector_records_written_total"]
                  if labels["connector"] == "population")  # fmt: skip
    polled = sum(v for _, v in samples["hub_connector_records_polled_total"])
    assert written == stats.published > 0
    assert polled == stats.pulled >= written
    assert (connector, float(stats.rejected)) in samples["hub_connector_dead_letter_records_total"]
    (freshness,) = [v for _, v in samples["hub_source_freshness_seconds"]]
    (watermark,) = [v for _, v in samples["hub_source_watermark_timestamp_seconds"]]
    assert freshness >= 0 and watermark > 0
    assert (connector, 1.0) in samples["hub_source_up"]
    state = {labels["state"]: v for labels, v in samples["hub_connector_state"]}
    assert state.pop("caught_up") == 1.0 and set(state.values()) == {0.0}
    assert any(v >= 1 for _, v in samples["hub_connector_offset_commit_seconds_count"])

    assert IDENTIFIER_LIKE.search("citizen 074201000007")  # the check would see a PIN
    prefix = host.settings.topic_prefix  # random per test: it may hold digits by chance
    for name, labelled in samples.items():
        for labels, _ in labelled:
            for key, value in labels.items():
                bare = value.replace(prefix, "")
                assert not IDENTIFIER_LIKE.search(bare), f"{name}{{{key}={value!r}}}"

    # Last, so that a missing promtool (a skip on a developer machine) skips nothing else.
    lint = await asyncio.create_subprocess_exec(
        _promtool(), "check", "metrics", stdin=PIPE, stdout=PIPE, stderr=STDOUT
    )
    output, _ = await lint.communicate(exposition.encode())
    assert lint.returncode == 0, output.decode()


async def test_ready_names_an_unreachable_broker_and_flips_when_a_check_passes() -> None:
    registry = CollectorRegistry()
    up = {"flag": False}

    async def flag() -> bool:
        return up["flag"]

    checks = {"broker": kafka_check(f"127.0.0.1:{free_port()}"), "flag": flag}
    async with MetricsServer(registry, LOCAL, checks) as server:
        status, content_type, body = await _get(f"{server.url}/ready")
        assert (status, content_type) == (503, "application/json; charset=utf-8")
        assert json.loads(body) == {
            "ready": False,
            "failing": ["broker", "flag"],
            "checks": {"broker": "error: KafkaConnectionError", "flag": "not ready"},
        }
        server.checks.pop("broker")
        up["flag"] = True
        assert (await _get(f"{server.url}/ready"))[0] == 200
        assert (await _get(f"{server.url}/health"))[0] == 200
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(f"{server.url}/health")


async def test_a_taken_port_fails_a_service_but_not_serving() -> None:
    from hub.metrics.server import serving

    registry = CollectorRegistry()
    async with MetricsServer(registry, LOCAL) as first:
        taken = MetricsSettings(host="127.0.0.1", port=first.port)
        with pytest.raises(OSError, match="in use"):
            await MetricsServer(registry, taken).start()
        async with serving(registry, settings=taken) as second:
            assert second is None
    async with serving(registry, settings=MetricsSettings(enabled=False)) as disabled:
        assert disabled is None


def test_settings_come_from_hub_metrics_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_METRICS_PORT", "0")
    monkeypatch.setenv("HUB_METRICS_HOST", "0.0.0.0")
    assert (MetricsSettings().host, MetricsSettings().port) == ("0.0.0.0", 0)
    monkeypatch.setenv("HUB_METRICS_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        MetricsSettings()
