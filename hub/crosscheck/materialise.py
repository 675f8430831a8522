"""Materialising the canonical topics into the cross-check's evidence tables.

Every cross-check worker holds the whole province's evidence (rules look up other people
than the applicant: mothers, spouses, founders, parcel owners), so each worker reads
every partition of every canonical topic itself, with no consumer group, from the
beginning, and then follows new records. The tables keep the highest source version per
key (:class:`~hub.crosscheck.evidence.InMemoryEvidence`), so at-least-once duplicates
and out-of-order versions change nothing.

Why not Faust tables: their recovery reads a changelog up to the ListOffsets end, which
the embedded broker under-reports (docs/decisions.md, "Findings"), and sharded tables
could not answer lookups of keys owned by another worker. The canonical topics are
compacted, so they are the changelog: a restarted worker rebuilds by re-reading them,
or, with the RocksDB store (:mod:`hub.crosscheck.store`), loads its tables from disk and
reads on from the offsets saved with them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.codec import SchemaStore, decode_any
from hub.config import HubSettings
from hub.connect import headers as h
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.store import EvidenceStore, KeptRecord, MemoryStore
from hub.errors import SchemaError

log = logging.getLogger(__name__)


class Materialiser:
    """Feeds an :class:`InMemoryEvidence` from canonical topics and follows them.

    Args:
        bootstrap: the cluster.
        settings: client settings.
        schemas: the schema store (decodes any stored schema version).
        topics: the canonical topics to read.
        evidence: the tables to fill.
        store: where the tables persist (memory by default).
        lag: called with (topic, partition, records behind) after each fetch.
    """

    def __init__(
        self,
        bootstrap: str,
        settings: HubSettings,
        schemas: SchemaStore,
        topics: Sequence[str],
        evidence: InMemoryEvidence,
        store: EvidenceStore | None = None,
        lag: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.schemas = schemas
        self.topics = list(topics)
        self.evidence = evidence
        self.store = store or MemoryStore()
        self._report_lag = lag
        self.caught_up = asyncio.Event()
        self.applied = 0
        self.ignored = 0
        self.undecodable = 0
        #: ``time.perf_counter()`` when the first record arrived, and when caught up.
        self.first_record_at: float | None = None
        self.caught_up_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Read from the beginning, set :attr:`caught_up` at the first end, then follow."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **self.settings.security().client_kwargs(),
        )
        await consumer.start()
        try:
            saved = self.store.load(self.evidence)
            tps = await self._assign(consumer, saved)
            pending = await self._initial_targets(consumer, tps)
            if not pending:
                self.caught_up.set()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=20_000)
                if batch and self.first_record_at is None:
                    self.first_record_at = time.perf_counter()
                kept: list[KeptRecord] = []
                offsets: dict[tuple[str, int], int] = {}
                for tp, records in batch.items():
                    for record in records:
                        change = self._apply(record)
                        if change is not None:
                            kept.append(change)
                    if records:
                        offsets[(tp.topic, tp.partition)] = records[-1].offset + 1
                if offsets:
                    self.store.save(kept, offsets)
                if self._report_lag is not None:
                    await self._lag(consumer, tps)
                if pending:
                    pending = await self._still_pending(consumer, pending)
                    if not pending:
                        log.info("evidence caught up: %d records held", len(self.evidence))
                        self.caught_up_at = time.perf_counter()
                        self.caught_up.set()
        finally:
            await consumer.stop()

    async def _assign(
        self, consumer: AIOKafkaConsumer, saved: dict[tuple[str, int], int]
    ) -> list[TopicPartition]:
        """Assign every partition; resume at the saved offset, else from the beginning."""
        await consumer._client.force_metadata_update()
        tps = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(tps)
        fresh = [tp for tp in tps if (tp.topic, tp.partition) not in saved]
        if fresh:
            await consumer.seek_to_beginning(*fresh)
        for tp in tps:
            if (tp.topic, tp.partition) in saved:
                consumer.seek(tp, saved[(tp.topic, tp.partition)])
        return tps

    async def _initial_targets(
        self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]
    ) -> dict[TopicPartition, int | None]:
        """Partitions holding data at start; their end is learnt from fetch high watermarks
        (ListOffsets is only trusted to say whether a partition is empty)."""
        if not tps:
            return {}
        listed = await consumer.end_offsets(tps)
        return {tp: None for tp in tps if listed[tp] > 0}

    async def _still_pending(
        self, consumer: AIOKafkaConsumer, pending: dict[TopicPartition, int | None]
    ) -> dict[TopicPartition, int | None]:
        left: dict[TopicPartition, int | None] = {}
        for tp, end in pending.items():
            if end is None:
                end = consumer.highwater(tp)
            if end is None or await consumer.position(tp) < end:
                left[tp] = end
        return left

    async def _lag(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        assert self._report_lag is not None
        for tp in tps:
            end = consumer.highwater(tp)
            if end is not None:
                self._report_lag(tp.topic, tp.partition, max(0, end - await consumer.position(tp)))

    def _apply(self, record: object) -> KeptRecord | None:
        headers = h.as_dict(record.headers)  # type: ignore[attr-defined]
        key = record.key.decode("utf-8", "replace") if record.key else ""  # type: ignore[attr-defined]
        payload = record.value  # type: ignore[attr-defined]
        source = headers.get(h.SOURCE, "")
        version = headers.get(h.SOURCE_VERSION, "0")
        updated_at = _updated_at(headers)
        value: dict[str, Any] | None = None
        if payload is None:
            entity = record.topic.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
        else:
            try:
                schema, value = decode_any(self.schemas, payload)
            except SchemaError as exc:
                self.undecodable += 1
                log.warning("undecodable record skipped: %s", exc)
                return None
            entity = schema.entity
        if not self.evidence.add(source, entity, key, value, version, updated_at):
            self.ignored += 1
            return None
        self.applied += 1
        return KeptRecord(source, entity, key, value, version, updated_at)

    async def wait_caught_up(self, limit_s: float) -> bool:
        """Wait until the initial load is done; False after ``limit_s`` seconds."""
        began = time.monotonic()
        try:
            await asyncio.wait_for(self.caught_up.wait(), limit_s)
        except TimeoutError:
            return False
        log.debug("caught up after %.2fs", time.monotonic() - began)
        return True


def _updated_at(headers: dict[str, str]) -> datetime:
    text = headers.get(h.SOURCE_UPDATED_AT)
    if text:
        try:
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(0, UTC)
