"""The metrics catalogue: Prometheus naming conventions, bounded labels, docs in sync."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from hub.metrics import HubMetrics
from hub.metrics.catalogue import CATALOGUE, STAGES, STATES, MetricDef, markdown_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
START, END = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"

#: Label names that would invite an unbounded or personal value.
IDENTIFIER_LABELS = {
    "pin", "id", "uid", "uuid", "dossier", "name", "citizen", "person", "subject", "key",
    "tax_code", "plate", "parcel", "enterprise", "household", "email", "phone", "address",
    "user", "username", "card", "cccd", "cmnd", "message", "correlation", "record", "error",
}  # fmt: skip
#: Units named in full: a metric never says ms, minutes, bytes in kB or a percentage.
NON_BASE_UNITS = re.compile(
    r"_(ms|millis|milliseconds|us|ns|minutes|hours|days|kb|mb|percent)(_|$)"
)


@pytest.mark.parametrize("metric", CATALOGUE, ids=lambda d: d.name)
def test_names_follow_prometheus_conventions(metric: MetricDef) -> None:
    assert re.fullmatch(r"hub_[a-z][a-z0-9_]*[a-z0-9]", metric.name)
    assert "__" not in metric.name
    assert metric.name.endswith("_total") == (metric.type == "counter")
    assert metric.name.endswith("_info") == (metric.type == "info")
    if metric.unit == "seconds":
        assert metric.name.removesuffix("_total").endswith("_seconds")
    assert "_seconds" not in metric.name or metric.unit == "seconds"
    assert not NON_BASE_UNITS.search(metric.name)
    for suffix in ("_bucket", "_sum", "_count", "_created"):  # reserved by the exposition
        assert not metric.name.endswith(suffix)
    assert metric.help.endswith(".") and "\n" not in metric.help and len(metric.help) < 140


@pytest.mark.parametrize("metric", CATALOGUE, ids=lambda d: d.name)
def test_no_label_is_identifier_like(metric: MetricDef) -> None:
    for label in metric.labels:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", label)
        assert label not in IDENTIFIER_LABELS, label
        assert not label.endswith(("_id", "_pin", "_key", "_name", "_number", "_code")), label


def test_names_are_unique() -> None:
    names = [d.name for d in CATALOGUE]
    assert len(names) == len(set(names))


def test_the_catalogue_covers_what_operations_asked_for() -> None:
    names = {d.name for d in CATALOGUE}
    for wanted in (
        "hub_connector_records_polled_total", "hub_connector_records_written_total",
        "hub_connector_record_errors_total", "hub_connector_dead_letter_records_total",
        "hub_connector_dead_letter_failures_total", "hub_connector_retries_total",
        "hub_connector_throttled_seconds_total", "hub_source_up", "hub_source_failures_total",
        "hub_connector_offset_commit_seconds", "hub_connector_offset_commit_failures_total",
        "hub_connector_state", "hub_source_freshness_seconds",
        "hub_source_watermark_timestamp_seconds", "hub_crosscheck_verdicts_total",
        "hub_crosscheck_rule_outcomes_total", "hub_crosscheck_verdict_seconds",
        "hub_crosscheck_table_keys", "hub_consumer_lag_records", "hub_build_info",
    ):  # fmt: skip
        assert wanted in names


def test_the_registry_exports_exactly_the_catalogue() -> None:
    metrics = HubMetrics(CollectorRegistry())
    metrics.connector("population").set_state("running")
    exposition = generate_latest(metrics.registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(exposition)}
    for d in CATALOGUE:
        family = families.pop(d.name.removesuffix("_total") if d.type == "counter" else d.name)
        assert family.type == ("gauge" if d.type == "info" else d.type)
        assert family.documentation == d.help
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == set(d.labels), d.name
    assert {n for n in families if not n.endswith("_created")} == set()


def test_a_connector_starts_with_zeroed_error_counters_and_one_hot_state() -> None:
    metrics = HubMetrics(CollectorRegistry())
    connector = metrics.connector("population")
    connector.set_state("degraded")
    get = metrics.registry.get_sample_value
    for stage in STAGES:
        labels = {"connector": "population", "stage": stage}
        assert get("hub_connector_record_errors_total", labels) == 0.0
    states = {
        s: get("hub_connector_state", {"connector": "population", "state": s}) for s in STATES
    }
    assert states.pop("degraded") == 1.0 and set(states.values()) == {0.0}
    connector.observe_watermark(1000.0, now_s=900.0)  # clock skew never yields negative age
    assert get("hub_source_freshness_seconds", {"connector": "population"}) == 0.0
    with pytest.raises(ValueError, match="verdict status"):
        metrics.observe_verdict("APPROVED", 0.1)


def test_docs_table_is_generated_from_the_catalogue() -> None:
    text = DOCS.read_text(encoding="utf-8")
    head, rest = text.split(START)
    table, tail = rest.split(END)
    if table != markdown_table() and os.environ.get("HUB_UPDATE_DOCS"):
        DOCS.write_text(head + START + markdown_table() + END + tail, encoding="utf-8")
        table = markdown_table()
    assert table == markdown_table(), "docs/metrics.md is stale: rerun with HUB_UPDATE_DOCS=1"
