"""The connector runtime: pull pages, map, validate and encode, publish, commit the cursor.

Per stream, a loop fetches a page (through :class:`ResilientFetcher`), turns it into
Kafka messages (canonical records and dead letters) and submits them with the batch
publisher. Up to ``max_in_flight`` pages may await acknowledgement while the next one is
fetched and encoded; cursors are committed strictly in page order, each only after its
page and all earlier ones were acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from hub.codec import SchemaStore
from hub.connect.contract import ConnectorSpec, RecordMapper, SourceAdapter, StreamSpec
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.encoder import EncodedPage, PageEncoder
from hub.connect.fetcher import ResilientFetcher
from hub.connect.publisher import BatchPublisher
from hub.connect.records import Cursor, Page
from hub.connect.resilience import CircuitBreaker, RateLimiter, RetryPolicy
from hub.connect.topics import TopicNames
from hub.metrics import ConnectorMetrics

log = logging.getLogger(__name__)


class RuntimeOptions(BaseModel):
    """How the runtime drives one connector (the ``runtime`` block of its config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(2000, ge=1, le=100_000, description="Records asked per fetch.")
    max_in_flight: int = Field(4, ge=1, le=64, description="Pages awaiting acks at once.")
    poll_interval_s: float = Field(5.0, gt=0, description="Pause when caught up (follow).")
    rate_limit_per_s: float = Field(0, ge=0, description="Source calls per second; 0 = none.")
    retry: RetryPolicy = Field(default_factory=RetryPolicy, description="Backoff policy.")
    breaker_failures: int = Field(5, ge=1, description="Failures that open the circuit.")
    breaker_reset_s: float = Field(5.0, gt=0, description="Open time before a trial call.")


@dataclass
class StreamStats:
    """Counters of one run, per connector (summed over its streams)."""

    pulled: int = 0
    published: int = 0
    rejected: int = 0
    seconds: float = 0.0
    newest_update: float = 0.0


class ConnectorRuntime:
    """Runs one connector's streams to completion (or forever, when following).

    Args:
        spec: the connector's declaration.
        adapter: its source adapter (opened and closed by the runtime).
        mapper: its mapper.
        publisher: shared batch publisher.
        cursors: the cursor store.
        schemas: the schema store.
        topics: topic naming.
        metrics: the connector's metrics.
        options: runtime options.
    """

    def __init__(
        self,
        spec: ConnectorSpec,
        adapter: SourceAdapter,
        mapper: RecordMapper,
        *,
        publisher: BatchPublisher,
        cursors: KafkaCursorStore,
        schemas: SchemaStore,
        topics: TopicNames,
        metrics: ConnectorMetrics,
        options: RuntimeOptions | None = None,
    ) -> None:
        self.spec = spec
        self.adapter = adapter
        self.mapper = mapper
        self.publisher = publisher
        self.cursors = cursors
        self.topics = topics
        self.metrics = metrics
        self.options = options or RuntimeOptions()
        self.stats = StreamStats()
        self.state = "stopped"
        self._encoder = PageEncoder(spec, mapper, schemas, topics)
        self._fetcher = ResilientFetcher(
            adapter,
            metrics,
            policy=self.options.retry,
            breaker=CircuitBreaker(self.options.breaker_failures, self.options.breaker_reset_s),
            limiter=RateLimiter(self.options.rate_limit_per_s, burst=1),
            on_degraded=lambda: self._set_state("degraded"),
            on_recovered=lambda: self._set_state("running"),
        )

    def _set_state(self, state: str) -> None:
        self.state = state
        self.metrics.set_state(state)

    async def run(self, *, follow: bool = False, stop: asyncio.Event | None = None) -> StreamStats:
        """Sync every stream until caught up; with ``follow``, keep polling until ``stop``.

        Cancelling the task is safe: the cursor stays at the last acknowledged page.
        """
        stop = stop or asyncio.Event()
        started = time.perf_counter()
        self._set_state("starting")
        await self.adapter.open()
        try:
            self._set_state("running")
            while True:
                for stream in self.spec.streams:
                    if stop.is_set():  # a graceful stop skips the streams not begun
                        break
                    await self._sync_stream(stream, stop)
                if not follow or stop.is_set():
                    break
                self._set_state("caught_up")
                with _suppress_timeout():
                    await asyncio.wait_for(stop.wait(), self.options.poll_interval_s)
                if stop.is_set():
                    break
                self._set_state("running")
            self._set_state("caught_up" if not follow else "stopped")
        except asyncio.CancelledError:
            self._set_state("stopped")
            raise
        except Exception:
            self._set_state("failed")
            raise
        finally:
            self.stats.seconds += time.perf_counter() - started
            await self.adapter.close()
        return self.stats

    async def _sync_stream(self, stream: StreamSpec, stop: asyncio.Event) -> None:
        cursor = await self.cursors.load(self.spec.name, stream.name)
        log.info(
            "%s/%s: syncing from %s", self.spec.name, stream.name,
            "the beginning" if cursor is None else "the committed cursor",
        )  # fmt: skip
        in_flight: deque[tuple[asyncio.Task[None], Cursor, float]] = deque()
        polled = self.metrics.hub.records_polled.labels(self.spec.name, stream.name)
        try:
            while not stop.is_set():
                fetched_at = time.perf_counter()
                page = await self._fetch_unless_stopped(stream.name, cursor, stop)
                if page is None:
                    break
                polled.inc(len(page.records))
                self.stats.pulled += len(page.records)
                encoded = self._encoder.encode(stream.name, page.records, cursor)
                self._report_rejections(stream, encoded)
                acked = await self.publisher.publish(encoded.messages)
                accounted = asyncio.ensure_future(self._account(acked, encoded))
                in_flight.append((accounted, page.cursor, fetched_at))
                cursor = page.cursor
                await self._commit_done(stream, in_flight, keep=self.options.max_in_flight - 1)
                if not page.has_more:
                    break
            await self._commit_done(stream, in_flight, keep=0)
        finally:
            for pending, _, _ in in_flight:  # only after a failure or cancellation
                pending.cancel()

    async def _fetch_unless_stopped(
        self, stream: str, cursor: Cursor | None, stop: asyncio.Event
    ) -> Page | None:
        """Fetch the next page, or None when ``stop`` is set first.

        A graceful stop must not wait out a retry backoff or a rate-limit pause: the
        abandoned call published nothing, so the committed cursor stays exact.
        """
        fetch = asyncio.ensure_future(self._fetcher.fetch(stream, cursor, self.options.batch_size))
        stopped = asyncio.ensure_future(stop.wait())
        try:
            done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
        return fetch.result() if fetch in done else None

    async def _account(self, acked: asyncio.Task[None], encoded: EncodedPage) -> None:
        await acked
        self.stats.published += encoded.published
        self.stats.rejected += encoded.rejected
        for topic, count in encoded.written.items():
            self.metrics.hub.records_written.labels(self.spec.name, topic).inc(count)
        if encoded.rejected:
            self.metrics.hub.dead_letters.labels(self.spec.name).inc(encoded.rejected)
        if encoded.newest_update > self.stats.newest_update:
            self.stats.newest_update = encoded.newest_update
            self.metrics.observe_watermark(encoded.newest_update, time.time())

    async def _commit_done(
        self,
        stream: StreamSpec,
        in_flight: deque[tuple[asyncio.Task[None], Cursor, float]],
        keep: int,
    ) -> None:
        """Await the oldest pages until at most ``keep`` remain; commit the newest cursor."""
        newest: Cursor | None = None
        while len(in_flight) > keep:
            acked, cursor, fetched_at = in_flight.popleft()
            await acked
            self.metrics.hub.batch_seconds.labels(self.spec.name).observe(
                time.perf_counter() - fetched_at
            )
            newest = cursor
        if newest is not None:
            began = time.perf_counter()
            try:
                await self.cursors.commit(self.spec.name, stream.name, newest)
            except Exception:
                self.metrics.hub.offset_commit_failures.labels(self.spec.name).inc()
                raise
            self.metrics.hub.offset_commit_seconds.labels(self.spec.name).observe(
                time.perf_counter() - began
            )

    def _report_rejections(self, stream: StreamSpec, encoded: EncodedPage) -> None:
        for rejection in encoded.rejections:
            self.metrics.record_error(rejection.stage)
            log.warning(
                "%s/%s: record at %s dead-lettered at stage %s (%s)",
                self.spec.name, stream.name, rejection.position or "?", rejection.stage,
                rejection.error_class,
            )  # fmt: skip


class _suppress_timeout:
    """``contextlib.suppress(TimeoutError)`` as a tiny named helper for readability."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return exc_type is TimeoutError
