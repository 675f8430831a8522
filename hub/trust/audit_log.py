"""The audit topic: a worker appends its chain there; the CLI reads it back.

Topic ``<prefix>hub.audit``: cleanup policy ``delete`` with ``retention.ms=-1`` (never
compacted, never expired: keep it as long as the data it refers to, plus the complaint
period; see the DPIA). Records are keyed by writer id, so each chain stays in one
partition, in order; the value is the entry's canonical bytes.

:class:`AuditWriter` owns one worker's :class:`~hub.trust.audit.AuditChain`. Entries are
built and handed to the producer under a lock, so the chain's order is the partition's
order, and the caller awaits the broker's acknowledgement outside the lock (concurrent
requests share round trips). The cross-check service awaits it before it publishes or
returns a verdict: no access goes unrecorded. If an append fails the writer fails
closed: every later append raises :class:`AuditUnavailable` (the worker answers 503)
until it is restarted with a new chain, rather than leave a gap mid-chain that
``hub audit verify`` would report as tampering.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer

from hub.config import HubSettings
from hub.connect.reader import iter_to_end
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.errors import HubError
from hub.trust.audit import AccessEntry, AuditChain
from hub.trust.audit_verify import StoredEntry

__all__ = [
    "TOPIC_CONFIG",
    "AuditSink",
    "AuditUnavailable",
    "AuditWriter",
    "KafkaAuditSink",
    "audit_topic",
    "audit_topic_spec",
    "iter_audit",
    "read_audit",
    "writer_id",
]

log = logging.getLogger(__name__)


def audit_topic(topics: TopicNames) -> str:
    """The audit topic's name."""
    return f"{topics.prefix}hub.audit"


#: The audit topic's configuration: append-only, kept forever.
TOPIC_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1"}


def audit_topic_spec(topics: TopicNames, partitions: int) -> TopicSpec:
    """The audit topic to create."""
    return TopicSpec(audit_topic(topics), partitions, dict(TOPIC_CONFIG))


def writer_id(host: str, port: int) -> str:
    """A writer id unique to this worker start: ``crosscheck@host:port#<12 hex>``."""
    return f"crosscheck@{host}:{port}#{secrets.token_hex(6)}"


class AuditUnavailable(HubError):
    """The audit log cannot be written: the access must not happen."""


class AuditSink(Protocol):
    """Where entries go: ``send`` enqueues (in call order) and returns the ack awaitable."""

    async def send(self, key: bytes, value: bytes) -> Awaitable[Any]:
        """Enqueue one record; the result completes when the broker acknowledged it."""


class KafkaAuditSink:
    """The audit topic, through an acks=all producer of its own.

    Args:
        bootstrap: the cluster.
        settings: hub settings (security, partitions, replication).
        topic: the audit topic (created when missing).
    """

    def __init__(self, bootstrap: str, settings: HubSettings, topic: str) -> None:
        self.bootstrap, self.settings, self.topic = bootstrap, settings, topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Create the topic if needed and start the producer."""
        spec = TopicSpec(self.topic, self.settings.topic_partitions, dict(TOPIC_CONFIG))
        await ensure_topics(self.bootstrap, self.settings, [spec])
        kwargs = self.settings.producer_kwargs() | {"linger_ms": 0}
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **kwargs)
        await self._producer.start()

    async def send(self, key: bytes, value: bytes) -> Awaitable[Any]:
        """See :class:`AuditSink`."""
        if self._producer is None:
            raise AuditUnavailable("the audit producer is not started")
        future: Awaitable[Any] = await self._producer.send(self.topic, value, key=key)
        return future

    async def stop(self) -> None:
        """Flush and stop the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


class AuditWriter:
    """Appends one worker's chain to a sink (see the module docstring).

    Args:
        chain: the worker's chain.
        sink: where its entries go.
        on_entry: called with each entry's kind once acknowledged (metrics).
    """

    def __init__(
        self, chain: AuditChain, sink: AuditSink, on_entry: Callable[[str], None] | None = None
    ) -> None:
        self.chain, self._sink, self._on_entry = chain, sink, on_entry
        self._lock = asyncio.Lock()
        self.failed = False

    @property
    def writer(self) -> str:
        """The writer id (the chain's)."""
        return self.chain.writer

    async def _append(self, kind: str, build: Callable[[], list[bytes]]) -> None:
        if self.failed or self.chain.closed:
            raise AuditUnavailable("the audit log is closed or failed: access refused")
        key = self.chain.writer.encode()
        try:
            async with self._lock:
                entries = build()
                acks = [await self._sink.send(key, entry) for entry in entries]
            if not entries:
                return
            for ack in acks:
                await ack
        except AuditUnavailable:
            self.failed = True
            raise
        except Exception as exc:
            self.failed = True
            log.error("audit append failed (%s): refusing further accesses", type(exc).__name__)
            raise AuditUnavailable(f"the audit log could not be written: {exc}") from exc
        if self._on_entry is not None:
            self._on_entry(kind)
            if len(entries) > 1:
                self._on_entry("checkpoint")

    async def activate(self, consumer: str, policy_hash: str, policy_version: str) -> None:
        """Record the "policy activated" entry (the first of the chain)."""
        await self._append("policy", lambda: self.chain.policy(consumer, policy_hash,
                                                               policy_version))  # fmt: skip

    async def record(self, access: AccessEntry) -> None:
        """Record one access; returns once the broker acknowledged it."""
        await self._append("access", lambda: self.chain.access(access))

    async def seal(self) -> None:
        """Write a checkpoint now when entries await one (and the log is writable)."""
        if self.failed or self.chain.closed or not self.chain.unsealed:
            return
        await self._append("checkpoint", self.chain.seal)

    async def seal_periodically(self, every_s: float, stop: asyncio.Event) -> None:
        """Seal every ``every_s`` seconds until ``stop`` is set or the log fails: a quiet
        worker's last entries get their signed checkpoint within that time, not only at
        the next hundredth entry or a clean stop. Stop it with the event, not by
        cancelling: a seal cancelled between the chain and the broker would leave a gap
        that the closing checkpoint then points across."""
        while not (self.failed or self.chain.closed):
            try:
                await asyncio.wait_for(stop.wait(), every_s)
                return
            except TimeoutError:
                pass
            try:
                await self.seal()
            except AuditUnavailable:
                return  # logged by the append; the worker answers 503 from now on

    async def close(self) -> None:
        """Write the closing checkpoint (when the log is still writable)."""
        if self.failed or self.chain.closed:
            return
        await self._append("checkpoint", self.chain.close)


async def read_audit(bootstrap: str, settings: HubSettings, topic: str) -> list[StoredEntry]:
    """Every record of the audit topic, up to its end when read."""
    return [record async for record in iter_audit(bootstrap, settings, topic)]


async def iter_audit(
    bootstrap: str, settings: HubSettings, topic: str
) -> AsyncIterator[StoredEntry]:
    """The audit topic's records up to its end when read, partition by partition, each in
    offset order: the order :func:`hub.trust.audit_verify.verify` checks them in."""
    async for r in iter_to_end(bootstrap, settings, [topic], partition_by_partition=True):
        yield StoredEntry(r.partition, r.offset, r.key, r.value)
