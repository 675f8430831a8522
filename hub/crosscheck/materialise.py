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

The broker may go away and come back, and it may come back empty (the embedded one
loses every topic when it restarts; docs/decisions.md, "A broker that loses its data").
:meth:`Materialiser.run` never gives up on it: it connects with retries, and about once a
second it asks the cluster (a metadata request naming no topic, so that it creates none)
for its id and the topics' partitions. A new cluster id means a new, empty broker:
every partition is read again from the beginning. Partitions that appear (topics created
or re-created after the worker started) are assigned and read from the beginning;
vanished ones are dropped. A partition whose end fell below the position read (Kafka
answers OffsetOutOfRange, which the consumer resets to the earliest offset; the embedded
broker silently reports the smaller end) is read again from its beginning. Replays change
nothing, since the tables keep the highest version per key.

What becomes of each record fetched (its signature checked, its payload decoded, the
row offered to the tables) is :mod:`hub.crosscheck.record_intake`'s concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.topics import ClusterView, describe_cluster
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.record_intake import RecordIntake
from hub.crosscheck.store import EvidenceStore, MemoryStore
from hub.metrics import HubMetrics

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds between two looks at the cluster (its id and the topics' partitions).
WATCH_S = 1.0
#: Pauses between attempts to reach a broker that does not answer: first and longest.
RETRY_S = (0.2, 2.0)


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
        metrics: where refused records are counted (a private registry by default).
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
        metrics: HubMetrics | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.schemas = schemas
        self.topics = list(topics)
        self.evidence = evidence
        self.store = store or MemoryStore()
        self._report_lag = lag
        self.caught_up = asyncio.Event()
        #: Verifies, decodes and keeps the records fetched.
        self.intake = RecordIntake(bootstrap, settings, schemas, self.topics, evidence, metrics)
        #: ``time.perf_counter()`` when the first record arrived, and when caught up.
        self.first_record_at: float | None = None
        self.caught_up_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Read from the beginning, set :attr:`caught_up` at the first end, then follow,
        surviving the broker's absence and loss (see the module docstring)."""
        #: next offset to read per partition, as far as records were read.
        self._next: dict[TopicPartition, int] = {}
        self._cluster_id: str | None = None
        consumer = await self._connect(stop)
        if consumer is None:
            return
        try:
            await self.intake.ready()  # read once records can be verified
            saved = self.store.load(self.evidence)
            first = await self._retry(stop, lambda: self._first_assignment(consumer, saved))
            if first is None:
                return
            tps, pending = first
            if not pending:
                self.caught_up.set()
            watched = time.monotonic()
            while not stop.is_set():
                try:
                    batch = await consumer.getmany(timeout_ms=200, max_records=20_000)
                except KafkaError as exc:  # the consumer retries by itself; do not spin
                    log.warning("fetch failed (%s): retrying", type(exc).__name__)
                    await asyncio.sleep(RETRY_S[0])
                    continue
                if batch and self.first_record_at is None:
                    self.first_record_at = time.perf_counter()
                kept, offsets = await self.intake.apply(batch)
                if offsets:
                    self.store.save(kept, offsets)
                    self._next.update((TopicPartition(*at), n) for at, n in offsets.items())
                await self._rewind_shrunk(consumer, tps)
                if self._report_lag is not None:
                    self._lag(consumer, tps)
                if pending:
                    pending = await self._still_pending(consumer, pending)
                    if not pending:
                        log.info("evidence caught up: %d records held", len(self.evidence))
                        # The evidence just loaded stays: keep the garbage collector from
                        # rescanning it (full collections of it took 50-150 ms, the p99
                        # of a verdict); records are acyclic, so refcounts still free them.
                        gc.freeze()
                        self.caught_up_at = time.perf_counter()
                        self.caught_up.set()
                if time.monotonic() - watched >= WATCH_S:
                    watched = time.monotonic()
                    tps = await self._follow_cluster(consumer, tps)
        finally:
            await consumer.stop()
            await self.intake.close()

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **self.settings.security().client_kwargs(),
        )

    async def _connect(self, stop: asyncio.Event) -> AIOKafkaConsumer | None:
        """A started consumer, once a broker answers; None when ``stop`` came first."""
        pause = RETRY_S[0]
        while not stop.is_set():
            consumer = self._consumer()
            try:
                await consumer.start()
            except KafkaError as exc:
                await consumer.stop()
                log.warning("no broker answers (%s): next try in %.1fs", type(exc).__name__, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, RETRY_S[1])
                continue
            return consumer
        return None

    async def _retry(self, stop: asyncio.Event, attempt: Callable[[], Awaitable[_T]]) -> _T | None:
        """``attempt()`` until it does not raise a Kafka error; None when ``stop`` came first."""
        pause = RETRY_S[0]
        while not stop.is_set():
            try:
                return await attempt()
            except KafkaError as exc:
                log.warning("broker not serving (%s): next try in %.1fs", type(exc).__name__, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, RETRY_S[1])
        return None

    async def _first_assignment(
        self, consumer: AIOKafkaConsumer, saved: dict[tuple[str, int], int]
    ) -> tuple[list[TopicPartition], dict[TopicPartition, int | None]]:
        """Assign every partition (saved offsets or the beginning) and find those to read
        before :attr:`caught_up`."""
        view = await describe_cluster(consumer._client)
        self._cluster_id = view.cluster_id
        tps = self._partitions(view)
        for tp in tps:
            if (tp.topic, tp.partition) in saved:
                self._next[tp] = saved[(tp.topic, tp.partition)]
        await self._assign(consumer, tps)
        return tps, await self._initial_targets(consumer, tps)

    def _partitions(self, view: ClusterView) -> list[TopicPartition]:
        """Every partition of the canonical topics the cluster holds."""
        return [
            TopicPartition(topic, p) for topic in self.topics
            for p in range(view.partitions.get(topic, 0))
        ]  # fmt: skip

    async def _assign(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Assign ``tps``: each at the next offset known for it, else at its beginning."""
        consumer.assign(tps)
        fresh = [tp for tp in tps if tp not in self._next]
        if fresh:
            await consumer.seek_to_beginning(*fresh)
        for tp in tps:
            if tp in self._next:
                consumer.seek(tp, self._next[tp])

    async def _follow_cluster(
        self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]
    ) -> list[TopicPartition]:
        """Re-read everything from a new (empty) broker; follow partitions that appeared
        or vanished. Returns the partitions now assigned."""
        try:
            view = await describe_cluster(consumer._client)
        except KafkaError:
            return tps  # the broker is away; the consumer waits for it by itself
        renewed = bool(view.cluster_id and self._cluster_id and view.cluster_id != self._cluster_id)
        if renewed:
            log.warning("a new broker (its cluster id changed): reading every topic again")
            self._next.clear()
        self._cluster_id = view.cluster_id or self._cluster_id
        wanted = self._partitions(view)
        if renewed or wanted != tps:
            appeared, vanished = set(wanted) - set(tps), set(tps) - set(wanted)
            if appeared or vanished:
                log.info("partitions: %d appeared, %d vanished", len(appeared), len(vanished))
            for tp in vanished & set(self._next):
                del self._next[tp]
            await self._assign(consumer, wanted)
        return wanted

    async def _rewind_shrunk(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Read again from the beginning every partition whose end fell below what was read:
        the topic was re-created (its records are a resync of the same subjects)."""
        shrunk = [
            tp for tp in tps
            if (end := consumer.highwater(tp)) is not None and end < self._next.get(tp, 0)
        ]  # fmt: skip
        if shrunk:
            log.warning("%d partition(s) went back: reading them again", len(shrunk))
            for tp in shrunk:
                del self._next[tp]
            await consumer.seek_to_beginning(*shrunk)

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
            at = self._next.get(tp)
            if end is not None and (at is None or at < end):
                at = await consumer.position(tp)
            if end is None or at is None or at < end:
                left[tp] = end
        return left

    def _lag(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        assert self._report_lag is not None
        for tp in tps:
            end = consumer.highwater(tp)
            if end is not None:
                self._report_lag(tp.topic, tp.partition, max(0, end - self._next.get(tp, 0)))

    @property
    def applied(self) -> int:
        """Records kept in the tables."""
        return self.intake.applied

    @property
    def ignored(self) -> int:
        """Records not newer than what the tables held (duplicates, replays)."""
        return self.intake.ignored

    @property
    def undecodable(self) -> int:
        """Records skipped because they did not decode."""
        return self.intake.undecodable

    @property
    def refused(self) -> int:
        """Records refused for a missing or bad signature."""
        return self.intake.refused

    async def wait_caught_up(self, limit_s: float) -> bool:
        """Wait until the initial load is done; False after ``limit_s`` seconds."""
        began = time.monotonic()
        try:
            await asyncio.wait_for(self.caught_up.wait(), limit_s)
        except TimeoutError:
            return False
        log.debug("caught up after %.2fs", time.monotonic() - began)
        return True
