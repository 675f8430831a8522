"""Connector status in a compacted Kafka topic, Kafka Connect style.

The process that runs connectors (``hub connectors run``) is the *worker*: it writes one
record per connector to ``<prefix>hub.connect.status`` (one partition, compacted, key the
connector name) whenever a connector's state changes, and as a heartbeat every
``heartbeat_s`` seconds while it runs. Value, JSON::

    {"connector": "population", "state": "running", "worker": "pid 4242 run 3f2a...",
     "updated_at": 1767225600.0, "heartbeat_s": 10.0, "pulled": 1200, "published": 1198,
     "rejected": 2, "newest_update": 1767225000.0, "errors": {"map": 2},
     "source_failures": {"timeout": 1}, "retries": 1, "error": null}

Readers (``hub connectors status``, ``hub offsets reset``) treat a live state whose last
heartbeat is older than three heartbeats as ``unknown``: the worker was killed without a
goodbye. The worker id is a process id and a random run id, never a host or user name.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from hub.config import HubSettings
from hub.connect.reader import iter_to_end
from hub.connect.runtime import ConnectorRuntime
from hub.connect.topics import TopicNames, TopicSpec
from hub.metrics.catalogue import STAGES

log = logging.getLogger(__name__)

#: States in which a connector is being run by some worker.
LIVE_STATES = frozenset({"starting", "running", "degraded", "caught_up"})
_FAILURE_KINDS = ("timeout", "server", "rate_limit", "truncated", "circuit_open", "fatal")


def status_topic(topics: TopicNames) -> str:
    """The compacted status topic for ``topics``' prefix."""
    return f"{topics.prefix}hub.connect.status"


def status_topic_spec(topics: TopicNames) -> TopicSpec:
    """The status topic to create: one partition, compacted."""
    return TopicSpec(status_topic(topics), 1, {"cleanup.policy": "compact"})


def effective_state(entry: dict[str, Any] | None, now: float | None = None) -> str:
    """The state to show: ``never_run``, the recorded state, or ``unknown`` when stale."""
    if entry is None:
        return "never_run"
    state = str(entry.get("state", "unknown"))
    age = (now or time.time()) - float(entry.get("updated_at", 0))
    if state in LIVE_STATES and age > 3 * float(entry.get("heartbeat_s", 10.0)):
        return "unknown"
    return state


def is_live(entry: dict[str, Any] | None, now: float | None = None) -> bool:
    """True when a worker is running the connector (fresh heartbeat, live state)."""
    return effective_state(entry, now) in LIVE_STATES


async def read_statuses(bootstrap: str, settings: HubSettings, topic: str) -> dict[str, Any]:
    """The latest entry of every key of a compacted JSON topic (here: by connector name)."""
    found: dict[str, Any] = {}
    async for record in iter_to_end(bootstrap, settings, [topic]):
        key = record.key.decode("utf-8") if record.key else ""
        if record.value is None:
            found.pop(key, None)
        else:
            found[key] = json.loads(record.value)
    return found


async def read_cursors(bootstrap: str, settings: HubSettings, topic: str) -> dict[str, Any]:
    """Every committed cursor entry (``{"cursor", "committed_at"}``) by ``connector/stream``."""
    return await read_statuses(bootstrap, settings, topic)  # same compacted-topic layout


def redact_cursor(cursor: Any) -> Any:
    """A cursor fit to print: positions and timestamps kept, anything else digested.

    Cursors may hold the key of the last record read (a personal identification number);
    such values are shown as ``sha256:<12 hex>``, stable enough to compare two cursors.
    """
    if isinstance(cursor, dict):
        return {k: redact_cursor(v) for k, v in cursor.items()}
    if isinstance(cursor, list):
        return [redact_cursor(v) for v in cursor]
    if cursor is None or isinstance(cursor, bool | float):
        return cursor
    if isinstance(cursor, str) and _is_timestamp(cursor):
        return cursor
    return "sha256:" + hashlib.sha256(str(cursor).encode()).hexdigest()[:12]


def cursor_timestamp(cursor: Any) -> float | None:
    """The source update time a cursor points at, when it has an ISO ``updated_at``."""
    if isinstance(cursor, dict) and isinstance(cursor.get("updated_at"), str):
        try:
            return datetime.fromisoformat(cursor["updated_at"]).timestamp()
        except ValueError:
            return None
    return None


def _is_timestamp(text: str) -> bool:
    if len(text) < 10 or not text[:4].isdigit():
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


class StatusReporter:
    """Writes each runtime's state to the status topic on change and as a heartbeat.

    Args:
        producer: a started producer (the host's).
        topic: the status topic.
        runtimes: the runtimes this worker runs.
        registry: the metrics registry the runtimes count into (for error counts).
        heartbeat_s: heartbeat period.
        check_s: how often states are compared with the last published ones.
    """

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        runtimes: Sequence[ConnectorRuntime],
        registry: CollectorRegistry,
        *,
        heartbeat_s: float = 10.0,
        check_s: float = 0.5,
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.runtimes = list(runtimes)
        self.registry = registry
        self.heartbeat_s = heartbeat_s
        self.check_s = check_s
        self.worker = f"pid {os.getpid()} run {uuid.uuid4().hex[:12]}"
        self._published: dict[str, tuple[str, float]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Publish changes and heartbeats until ``stop`` is set."""
        while not stop.is_set():
            now = time.monotonic()
            for runtime in self.runtimes:
                last = self._published.get(runtime.spec.name)
                state = _shown(runtime)
                if last is None or last[0] != state or now - last[1] >= self.heartbeat_s:
                    await self.publish(runtime, state)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.check_s)

    async def publish(
        self, runtime: ConnectorRuntime, state: str, error: BaseException | None = None
    ) -> None:
        """Write ``runtime``'s status now (a failed write is logged, never raised)."""
        entry = self.snapshot(runtime, state, error)
        try:
            await self.producer.send_and_wait(
                self.topic, json.dumps(entry).encode(), key=runtime.spec.name.encode()
            )
        except KafkaError as exc:
            log.warning("%s: status not written (%s)", runtime.spec.name, type(exc).__name__)
            return
        self._published[runtime.spec.name] = (state, time.monotonic())

    def snapshot(
        self, runtime: ConnectorRuntime, state: str, error: BaseException | None = None
    ) -> dict[str, Any]:
        """The status entry of ``runtime``: state, counters, error counts."""
        name = runtime.spec.name
        sample = self.registry.get_sample_value
        errors = {
            s: sample("hub_connector_record_errors_total", {"connector": name, "stage": s})
            for s in STAGES
        }
        failures = {
            k: sample("hub_source_failures_total", {"connector": name, "kind": k})
            for k in _FAILURE_KINDS
        }
        return {
            "connector": name,
            "state": state,
            "worker": self.worker,
            "updated_at": time.time(),
            "heartbeat_s": self.heartbeat_s,
            "pulled": runtime.stats.pulled,
            "published": runtime.stats.published,
            "rejected": runtime.stats.rejected,
            "newest_update": runtime.stats.newest_update or None,
            "errors": {k: int(v) for k, v in errors.items() if v},
            "source_failures": {k: int(v) for k, v in failures.items() if v},
            "retries": int(sample("hub_connector_retries_total", {"connector": name}) or 0),
            "error": None if error is None else type(error).__name__,
        }


def _shown(runtime: ConnectorRuntime) -> str:
    """A runtime not started yet reports ``starting`` rather than ``stopped``."""
    return "starting" if runtime.state == "stopped" else runtime.state


__all__ = [
    "LIVE_STATES",
    "StatusReporter",
    "effective_state",
    "is_live",
    "read_cursors",
    "read_statuses",
    "redact_cursor",
    "status_topic",
    "status_topic_spec",
]
