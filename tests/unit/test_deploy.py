"""The deployment files: compose structure, mounted files, Prometheus rules, dashboards.

promtool (Debian's ``prometheus`` package) checks the Prometheus files; without it the
tests that need it skip locally and fail when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hub.metrics.catalogue import CATALOGUE

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
METRIC = re.compile(r"\bhub_[a-z0-9_]+")
CATALOGUED = {d.name for d in CATALOGUE}
HISTOGRAMS = {d.name for d in CATALOGUE if d.type == "histogram"}


def _yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError:  # pyyaml is a dev extra; CI must have it
        if os.environ.get("CI"):
            pytest.fail("pyyaml is missing: it belongs in the dev extras")
        pytest.skip("pyyaml not installed")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _promtool(*args: str, cwd: Path = DEPLOY / "prometheus") -> str:
    found = shutil.which("promtool")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: CI must install Debian's `prometheus` package")
        pytest.skip("promtool not installed (apt-get install prometheus)")
    done = subprocess.run([found, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _catalogued(name: str) -> bool:
    """Whether a series name in a query is a catalogue metric or a histogram's sample."""
    if name in CATALOGUED:
        return True
    return any(
        name.endswith(suffix) and name.removesuffix(suffix) in HISTOGRAMS
        for suffix in ("_bucket", "_sum", "_count")
    )


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for panel in panels:
        found.append(panel)
        found.extend(_panels(panel.get("panels", [])))
    return found


def _queries(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in _panels(dashboard["panels"]) for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        exprs.append(query["query"] if isinstance(query, dict) else str(query))
    return exprs


# -- docker-compose.yml -------------------------------------------------------------------


def test_compose_runs_kafka_kraft_the_hub_and_monitoring() -> None:
    compose = _yaml(REPO / "docker-compose.yml")
    services = compose["services"]
    assert {"kafka", "connectors", "crosscheck-1", "crosscheck-2", "prometheus", "grafana"} <= set(
        services
    )
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert not any("zookeeper" in name for name in services)
    assert services["connectors"]["command"][:2] == ["connectors", "run"]
    workers = [s for s in services.values() if s.get("command") == ["crosscheck", "worker"]]
    assert len(workers) == 2
    assert len({w["environment"]["HUB_CROSSCHECK_WEB_HOST"] for w in workers}) == 2
    for name, service in services.items():
        if "build" in service:  # a hub process: configured by env, serves metrics on 9400
            env = service["environment"]
            assert env["HUB_KAFKA_BOOTSTRAP"].startswith("${HUB_KAFKA_BOOTSTRAP"), name
            assert (env["HUB_METRICS_HOST"], env["HUB_METRICS_PORT"]) == ("0.0.0.0", "9400")
            assert "/health" in " ".join(service["healthcheck"]["test"]), name
            assert service["depends_on"]["kafka"]["condition"] == "service_healthy", name
    grafana = services["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    named = set(compose.get("volumes") or {})
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source.startswith("./") or source in named, mount


def test_every_file_a_service_mounts_or_builds_exists() -> None:
    compose = _yaml(REPO / "docker-compose.yml")
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
        if "build" in service:
            assert (REPO / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    prometheus_targets = (DEPLOY / "prometheus" / "prometheus.yml").read_text()
    for name, service in compose["services"].items():
        if "build" in service:
            assert f"{service['hostname']}:9400" in prometheus_targets, f"{name} is not scraped"


# -- Prometheus ---------------------------------------------------------------------------


def test_prometheus_config_is_valid_and_loads_the_rules() -> None:
    assert "1 rule files found" in _promtool("check", "config", "prometheus.yml")


def test_alert_rules_are_valid() -> None:
    _promtool("check", "rules", "alerts.yml")


def test_alert_rules_pass_their_unit_tests() -> None:
    _promtool("test", "rules", "alerts_test.yml")


def test_alerts_cover_the_operations_issue_and_use_catalogue_metrics() -> None:
    rules = [r for g in _yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"] for r in g["rules"]]
    names = {r["alert"] for r in rules}
    for wanted in ("HubConnectorDown", "HubConnectorFailed", "HubSourceStale",
                   "HubDeadLetterRateHigh", "HubConsumerLagGrowing",
                   "HubCrossCheckInconclusiveSpike", "HubRecordErrorRateHigh"):  # fmt: skip
        assert wanted in names
    tested = (DEPLOY / "prometheus" / "alerts_test.yml").read_text()
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert {"summary", "description", "runbook"} <= set(rule["annotations"])
        assert f"alertname: {rule['alert']}" in tested, f"{rule['alert']} has no unit test"
        for metric in METRIC.findall(rule["expr"]):
            assert _catalogued(metric), f"{rule['alert']} uses unknown {metric}"


# -- Grafana ------------------------------------------------------------------------------


def test_grafana_provisioning_points_at_the_dashboards_and_prometheus() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    (source,) = _yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    assert (source["type"], source["uid"]) == ("prometheus", "hub-prometheus")
    (provider,) = _yaml(provisioning / "dashboards" / "hub.yml")["providers"]
    compose = _yaml(REPO / "docker-compose.yml")["services"]["grafana"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in compose["volumes"]
    home = compose["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert Path(home).name in {d.name for d in DASHBOARDS}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_are_valid_and_query_catalogue_metrics(path: Path) -> None:
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"]
    panels = _panels(dashboard["panels"])
    assert len({p["id"] for p in panels}) == len(panels)
    queries = _queries(dashboard)
    assert queries
    for panel in panels:
        if panel["type"] not in ("row", "alertlist"):
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "hub-prometheus", panel["title"]
    for query in queries:
        for metric in METRIC.findall(query):
            assert _catalogued(metric), f"{path.name}: unknown metric {metric}"


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """promtool parses every panel query, with Grafana's variables filled in."""
    rules = []
    for path in DASHBOARDS:
        for i, query in enumerate(_queries(json.loads(path.read_text(encoding="utf-8")))):
            if query.startswith("label_values("):
                continue  # a Grafana function, not PromQL
            expr = query.replace("$__rate_interval", "5m").replace("$connector", ".*")
            rules.append({"record": f"check:{path.stem.replace('-', '_')}:{i}", "expr": expr})
    (tmp_path / "queries.yml").write_text(json.dumps({"groups": [{"name": "q", "rules": rules}]}))
    _promtool("check", "rules", "queries.yml", cwd=tmp_path)
