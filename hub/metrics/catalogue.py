"""Every metric the hub exports, in one place: name, type, unit, labels, meaning.

Names follow Prometheus conventions (``hub_`` prefix, base units, ``_total`` counters)
and map onto Kafka Connect's vocabulary where one exists (records polled / written,
errors by stage, dead-letter produce, retries, offset commit time). Labels are bounded:
connector, stream, topic, stage, state, kind. Never a citizen id, dossier id or other
unbounded value.

The catalogue binds to a :class:`prometheus_client.CollectorRegistry` passed in, so each
test can use a fresh registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

#: Stages at which a record can be rejected or a step can fail.
STAGES = ("extract", "map", "validate", "serialise", "produce")
#: Connector states, exported as one gauge per state (1 for the current one).
STATES = ("starting", "running", "degraded", "caught_up", "stopped", "failed")

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HubMetrics:
    """All metric families, registered in ``registry``.

    Args:
        registry: where to register; a fresh one per test, the default one per process.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        c = "connector"
        # -- connectors (Kafka Connect: source-record-poll-total, source-record-write-total)
        self.records_polled = Counter(
            "hub_connector_records_polled", "Native records read from the source.",
            [c, "stream"], registry=registry)  # fmt: skip
        self.records_written = Counter(
            "hub_connector_records_written", "Canonical records acknowledged by Kafka.",
            [c, "topic"], registry=registry)  # fmt: skip
        self.record_errors = Counter(
            "hub_connector_record_errors", "Records rejected, by pipeline stage.",
            [c, "stage"], registry=registry)  # fmt: skip
        self.dead_letters = Counter(
            "hub_connector_dead_letter_records", "Records written to the dead-letter topic.",
            [c], registry=registry)  # fmt: skip
        self.dead_letter_failures = Counter(
            "hub_connector_dead_letter_failures", "Dead letters the broker did not accept.",
            [c], registry=registry)  # fmt: skip
        self.retries = Counter(
            "hub_connector_retries", "Source calls retried after a retriable failure.",
            [c], registry=registry)  # fmt: skip
        self.throttled_seconds = Counter(
            "hub_connector_throttled_seconds", "Time spent waiting for the rate limiter.",
            [c], registry=registry)  # fmt: skip
        self.source_failures = Counter(
            "hub_source_failures", "Failed source calls, by kind (timeout, server, rate_limit, "
            "truncated, circuit_open, fatal).", [c, "kind"], registry=registry)  # fmt: skip
        self.source_up = Gauge(
            "hub_source_up", "1 when the last source call succeeded, else 0.",
            [c], registry=registry)  # fmt: skip
        self.offset_commit_seconds = Histogram(
            "hub_connector_offset_commit_seconds", "Time to commit a cursor (acks=all).",
            [c], buckets=_LATENCY_BUCKETS, registry=registry)  # fmt: skip
        self.offset_commit_failures = Counter(
            "hub_connector_offset_commit_failures", "Cursor commits that failed.",
            [c], registry=registry)  # fmt: skip
        self.batch_seconds = Histogram(
            "hub_connector_batch_seconds", "Time from fetching a page to its acknowledgement.",
            [c], buckets=_LATENCY_BUCKETS, registry=registry)  # fmt: skip
        self.state = Gauge(
            "hub_connector_state", "1 for the connector's current state, 0 for the others.",
            [c, "state"], registry=registry)  # fmt: skip
        self.freshness_seconds = Gauge(
            "hub_source_freshness_seconds", "Now minus the newest source update seen.",
            [c], registry=registry)  # fmt: skip
        self.watermark = Gauge(
            "hub_source_watermark_timestamp_seconds", "Newest source update time seen (Unix).",
            [c], registry=registry)  # fmt: skip
        self.build_info = Info("hub_build", "Version of the running hub.", registry=registry)

    def connector(self, name: str) -> ConnectorMetrics:
        """Metrics pre-bound to one connector's label."""
        return ConnectorMetrics(self, name)


@dataclass
class ConnectorMetrics:
    """A connector's view of :class:`HubMetrics` with the connector label bound."""

    hub: HubMetrics
    name: str

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

    def observe_watermark(self, newest_update_s: float, now_s: float) -> None:
        """Record the newest source update seen and the resulting freshness."""
        self.hub.watermark.labels(self.name).set(newest_update_s)
        self.hub.freshness_seconds.labels(self.name).set(max(0.0, now_s - newest_update_s))
