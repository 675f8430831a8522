"""Every metric the hub exports, in one place: name, type, unit, labels, meaning.

:data:`CATALOGUE` is the machine-readable listing (``docs/metrics.md`` is rendered from it
and a test keeps the two equal); :class:`HubMetrics` binds exactly those families to a
:class:`prometheus_client.CollectorRegistry` passed in, so each test can use a fresh one.

Names follow Prometheus conventions: ``hub_`` prefix, base units (seconds, records),
``_total`` on counters, ``_info`` on the build-info gauge. Each connector metric maps onto
the Kafka Connect / Redpanda Connect concept ops already know (records polled / written,
errors by stage, dead-letter produce, retries, offset commit time, connection up);
source freshness is what Connect lacks. Labels are bounded enumerations (connector,
stream, topic, partition, stage, state, kind, status, rule, outcome, table, group,
consumer, source, reason): never a citizen id, dossier id or other unbounded value.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from hub import __version__

MetricType = Literal["counter", "gauge", "histogram", "info"]

#: Stages at which a record can be rejected or a step can fail.
STAGES = ("extract", "map", "validate", "serialise", "produce")
#: Connector states, exported as one gauge per state (1 for the current one).
STATES = ("starting", "running", "degraded", "caught_up", "stopped", "failed")
#: Kinds of failed source call (``hub.connect.fetcher.failure_kind``).
FAILURE_KINDS = ("timeout", "server", "rate_limit", "truncated", "circuit_open", "fatal")
#: Verdict statuses; missing or stale mandatory data is INCONCLUSIVE, never approval.
VERDICT_STATUSES = ("MATCH", "MISMATCH", "REVIEW", "INCONCLUSIVE")
#: Outcomes of one cross-check rule on one dossier.
RULE_OUTCOMES = ("match", "mismatch", "review", "inconclusive")

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_VERDICT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class MetricDef:
    """One metric family as it appears in the exposition.

    Attributes:
        name: the exposed family name (``_total`` included for counters).
        type: counter, gauge, histogram or info (a gauge of value 1 carrying labels).
        unit: the base unit of the value (``seconds``, ``records``; ``1`` for a flag).
        labels: label names, all bounded.
        help: one line saying what the value means.
        equivalent: the Kafka Connect / Redpanda Connect concept it maps onto, if any.
    """

    name: str
    type: MetricType
    unit: str
    labels: tuple[str, ...]
    help: str
    equivalent: str = ""


def _m(name: str, kind: MetricType, unit: str, labels: str, text: str, eq: str = "") -> MetricDef:
    return MetricDef(name, kind, unit, tuple(labels.split()), text, eq)


# fmt: off
RECORDS_POLLED = _m("hub_connector_records_polled_total", "counter", "records", "connector stream",
    "Native records read from the source.",
    "Connect source-record-poll-total; Redpanda input_received")
RECORDS_WRITTEN = _m("hub_connector_records_written_total", "counter", "records", "connector topic",
    "Canonical records acknowledged by Kafka (acks=all).",
    "Connect source-record-write-total; Redpanda output_sent")
RECORD_ERRORS = _m("hub_connector_record_errors_total", "counter", "records", "connector stage",
    "Records rejected, by pipeline stage (extract, map, validate, serialise, produce).",
    "Connect total-record-errors; Redpanda processor_error")
DEAD_LETTERS = _m("hub_connector_dead_letter_records_total", "counter", "records", "connector",
    "Records written to the connector's dead-letter topic.",
    "Connect deadletterqueue-produce-requests")
DEAD_LETTER_FAILURES = _m("hub_connector_dead_letter_failures_total", "counter", "records",
    "connector", "Dead letters the broker did not accept.",
    "Connect deadletterqueue-produce-failures")
RETRIES = _m("hub_connector_retries_total", "counter", "calls", "connector",
    "Source calls retried after a retriable failure.", "Connect total-retries")
THROTTLED = _m("hub_connector_throttled_seconds_total", "counter", "seconds", "connector",
    "Time spent waiting for the source rate limiter.")
SOURCE_FAILURES = _m("hub_source_failures_total", "counter", "calls", "connector kind",
    "Failed source calls, by kind (timeout, server, rate_limit, truncated, circuit_open, "
    "fatal).", "Redpanda input_connection_failed")
SOURCE_UP = _m("hub_source_up", "gauge", "1", "connector",
    "1 when the last source call succeeded, else 0.", "Redpanda input_connection_up")
OFFSET_COMMIT_SECONDS = _m("hub_connector_offset_commit_seconds", "histogram", "seconds",
    "connector", "Time to commit a cursor to the offsets topic (acks=all).",
    "Connect offset-commit-avg-time-ms / -max-time-ms")
OFFSET_COMMIT_FAILURES = _m("hub_connector_offset_commit_failures_total", "counter", "commits",
    "connector", "Cursor commits that failed.", "Connect offset-commit-failure-percentage")
BATCH_SECONDS = _m("hub_connector_batch_seconds", "histogram", "seconds", "connector",
    "Time from fetching a page to its acknowledgement by Kafka.",
    "Connect poll-batch-avg-time-ms; Redpanda output_latency_ns")
STATE = _m("hub_connector_state", "gauge", "1", "connector state",
    "1 for the connector's current state (starting, running, degraded, caught_up, stopped, "
    "failed), 0 for the others.", "Connect connector/task status")
FRESHNESS = _m("hub_source_freshness_seconds", "gauge", "seconds", "connector",
    "Age of the newest source update seen, when it was seen.", "none: Connect lacks it")
FRESHNESS_OBJECTIVE = _m("hub_source_freshness_objective_seconds", "gauge", "seconds",
    "connector", "The connector's freshness objective; alerts compare the watermark's age "
    "with it.", "none")
WATERMARK = _m("hub_source_watermark_timestamp_seconds", "gauge", "seconds", "connector",
    "Newest source update time seen (Unix time).", "none: Connect lacks it")
VERDICTS = _m("hub_crosscheck_verdicts_total", "counter", "verdicts", "status",
    "Verdicts given, by status (MATCH, MISMATCH, REVIEW, INCONCLUSIVE).")
RULE_RESULTS = _m("hub_crosscheck_rule_outcomes_total", "counter", "evaluations", "rule outcome",
    "Rule evaluations, by rule and outcome (match, mismatch, review, inconclusive).")
VERDICT_SECONDS = _m("hub_crosscheck_verdict_seconds", "histogram", "seconds", "",
    "Time from receiving a dossier to answering its verdict.")
TABLE_KEYS = _m("hub_crosscheck_table_keys", "gauge", "keys", "table",
    "Keys held in a cross-check table by this worker (every worker holds every key).")
CONSUMER_LAG = _m("hub_consumer_lag_records", "gauge", "records", "group topic partition",
    "Records between a consumer group's position and the partition's high watermark.",
    "Kafka consumer records-lag")
RECORDS_REFUSED = _m("hub_records_refused_total", "counter", "records", "consumer source reason",
    "Records a consumer refused for a missing or bad signature, by reason; dead-lettered.",
    "Connect deadletterqueue-produce-requests, for a consumer")
AUDIT_ENTRIES = _m("hub_audit_entries_total", "counter", "entries", "kind",
    "Audit log entries acknowledged by Kafka, by kind (policy, access, checkpoint).")
BUILD_INFO = _m("hub_build_info", "info", "1", "version python",
    "Version of the running hub (value 1).", "Connect app-info version")
# fmt: on

#: Every metric the hub exports, in the order of ``docs/metrics.md``.
CATALOGUE: tuple[MetricDef, ...] = (
    RECORDS_POLLED, RECORDS_WRITTEN, RECORD_ERRORS, DEAD_LETTERS, DEAD_LETTER_FAILURES,
    RETRIES, THROTTLED, SOURCE_FAILURES, SOURCE_UP, OFFSET_COMMIT_SECONDS,
    OFFSET_COMMIT_FAILURES, BATCH_SECONDS, STATE, FRESHNESS, FRESHNESS_OBJECTIVE, WATERMARK,
    VERDICTS, RULE_RESULTS, VERDICT_SECONDS, TABLE_KEYS, CONSUMER_LAG, RECORDS_REFUSED,
    AUDIT_ENTRIES, BUILD_INFO,
)  # fmt: skip


def _unit(d: MetricDef) -> str:
    # prometheus_client adds the unit to OpenMetrics output; only base units qualify.
    return "seconds" if d.unit == "seconds" else ""


def _counter(d: MetricDef, registry: CollectorRegistry) -> Counter:
    return Counter(d.name, d.help, d.labels, unit=_unit(d), registry=registry)


def _gauge(d: MetricDef, registry: CollectorRegistry) -> Gauge:
    return Gauge(d.name, d.help, d.labels, unit=_unit(d), registry=registry)


def _histogram(d: MetricDef, buckets: tuple[float, ...], registry: CollectorRegistry) -> Histogram:
    return Histogram(d.name, d.help, d.labels, unit=_unit(d), buckets=buckets, registry=registry)


class HubMetrics:
    """All metric families of :data:`CATALOGUE`, registered in ``registry``.

    Args:
        registry: where to register; a fresh one per test, the default one per process.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        r = registry
        # -- connectors
        self.records_polled = _counter(RECORDS_POLLED, r)
        self.records_written = _counter(RECORDS_WRITTEN, r)
        self.record_errors = _counter(RECORD_ERRORS, r)
        self.dead_letters = _counter(DEAD_LETTERS, r)
        self.dead_letter_failures = _counter(DEAD_LETTER_FAILURES, r)
        self.retries = _counter(RETRIES, r)
        self.throttled_seconds = _counter(THROTTLED, r)
        self.source_failures = _counter(SOURCE_FAILURES, r)
        self.source_up = _gauge(SOURCE_UP, r)
        self.offset_commit_seconds = _histogram(OFFSET_COMMIT_SECONDS, _LATENCY_BUCKETS, r)
        self.offset_commit_failures = _counter(OFFSET_COMMIT_FAILURES, r)
        self.batch_seconds = _histogram(BATCH_SECONDS, _LATENCY_BUCKETS, r)
        self.state = _gauge(STATE, r)
        self.freshness_seconds = _gauge(FRESHNESS, r)
        self.freshness_objective = _gauge(FRESHNESS_OBJECTIVE, r)
        self.watermark = _gauge(WATERMARK, r)
        # -- cross-check service and consumers
        self.verdicts = _counter(VERDICTS, r)
        self.rule_outcomes = _counter(RULE_RESULTS, r)
        self.verdict_seconds = _histogram(VERDICT_SECONDS, _VERDICT_BUCKETS, r)
        self.table_keys = _gauge(TABLE_KEYS, r)
        self.consumer_lag = _gauge(CONSUMER_LAG, r)
        self.records_refused = _counter(RECORDS_REFUSED, r)
        self.audit_entries = _counter(AUDIT_ENTRIES, r)
        # -- process (Info appends ``_info`` itself)
        self.build_info = Info(BUILD_INFO.name.removesuffix("_info"), BUILD_INFO.help, registry=r)
        self.build_info.info({"version": __version__, "python": platform.python_version()})
        for status in VERDICT_STATUSES:  # present from the start, so rate() sees the first
            self.verdicts.labels(status)

    def connector(self, name: str) -> ConnectorMetrics:
        """Metrics pre-bound to one connector's label."""
        return ConnectorMetrics(self, name)

    def observe_verdict(self, status: str, seconds: float) -> None:
        """Count a verdict of ``status`` answered ``seconds`` after its dossier arrived.

        Raises:
            ValueError: ``status`` is not one of :data:`VERDICT_STATUSES`.
        """
        if status not in VERDICT_STATUSES:
            raise ValueError(f"unknown verdict status {status!r}")
        self.verdicts.labels(status).inc()
        self.verdict_seconds.observe(seconds)


@dataclass
class ConnectorMetrics:
    """A connector's view of :class:`HubMetrics` with the connector label bound.

    Creating it initialises the connector's error counters to zero, so that ``rate()``
    and ``increase()`` in alert rules see the first error rather than a new series.
    """

    hub: HubMetrics
    name: str

    def __post_init__(self) -> None:
        for stage in STAGES:
            self.hub.record_errors.labels(self.name, stage)
        for kind in FAILURE_KINDS:
            self.hub.source_failures.labels(self.name, kind)
        for family in (self.hub.dead_letters, self.hub.dead_letter_failures, self.hub.retries,
                       self.hub.throttled_seconds, self.hub.offset_commit_failures):  # fmt: skip
            family.labels(self.name)

    def set_state(self, state: str) -> None:
        """Mark ``state`` as current (one-hot over :data:`STATES`)."""
        for candidate in STATES:
            self.hub.state.labels(self.name, candidate).set(1 if candidate == state else 0)

    def record_error(self, stage: str, count: int = 1) -> None:
        """Count ``count`` records rejected at ``stage``."""
        self.hub.record_errors.labels(self.name, stage).inc(count)

    def source_failure(self, kind: str) -> None:
        """Count a failed source call and mark the source down."""
        self.hub.source_failures.labels(self.name, kind).inc()
        self.hub.source_up.labels(self.name).set(0)

    def source_ok(self) -> None:
        """Mark the source up."""
        self.hub.source_up.labels(self.name).set(1)

    def set_freshness_objective(self, seconds: float) -> None:
        """Declare how old the newest source update may grow before an alert fires."""
        self.hub.freshness_objective.labels(self.name).set(seconds)

    def observe_watermark(self, newest_update_s: float, now_s: float) -> None:
        """Record the newest source update seen and the resulting freshness."""
        self.hub.watermark.labels(self.name).set(newest_update_s)
        self.hub.freshness_seconds.labels(self.name).set(max(0.0, now_s - newest_update_s))


def markdown_table() -> str:
    """The catalogue as the Markdown table kept in ``docs/metrics.md``."""
    rows = [
        "| metric | type | unit | labels | meaning | Kafka Connect / Redpanda Connect |",
        "|---|---|---|---|---|---|",
    ]
    for d in CATALOGUE:
        labels = ", ".join(f"`{label}`" for label in d.labels) or "none"
        rows.append(
            f"| `{d.name}` | {d.type} | {d.unit} | {labels} | {d.help} | {d.equivalent or '-'} |"
        )
    return "\n".join(rows) + "\n"
