"""The connector runtime: pull pages, map, validate and encode, publish, commit the cursor.

Per stream, a loop fetches a page (through :class:`ResilientFetcher`), has it turned into
Kafka messages (canonical records and dead letters; in worker processes when the host
gave an :class:`~hub.connect.encoder_pool.EncodingPool` and the page is large, while the
next page is fetched) and submits them, in page order, with the batch publisher. Up to
``max_in_flight`` pages may await acknowledgement while the next one is fetched and
encoded; cursors are committed strictly in page order, each only after its page and all
earlier ones were acknowledged, one commit in flight at a time
(:class:`~hub.connect.committer.CursorCommitter`), and all of them before the cycle ends.
Streams are fetched one after another; a stream's last pages are published and committed
(:mod:`hub.connect.stream_pipeline`) while the next stream is fetched.

A broker failure stops a single run (``follow=False``): the cursor stays at the last
acknowledged page. A following runtime waits it out instead, through its
:class:`BrokerGuard` (the host): state ``degraded``, then the cycle starts again from the
committed cursors. When the broker lost its data (it restarted empty: the cursor this
runtime committed or loaded is gone, the offsets topic went back, or the cluster id changed), the
guard re-creates the topics, and the runtime forgets its cursors and resyncs every
stream in full, so nothing the new broker never received is skipped (docs/decisions.md,
"A broker that loses its data"). A cursor an operator reset (a tombstone in the offsets
topic: ``hub offsets reset``, ``hub resync``) is not a loss: only that stream starts
again from the beginning.
"""

from __future__ import annotations

import asyncio
import logging
import time

from hub.codec import SchemaStore
from hub.connect.broker_guard import BrokerGuard, is_broker_failure
from hub.connect.contract import ConnectorSpec, RecordMapper, SourceAdapter, StreamSpec
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.encoder import PageEncoder
from hub.connect.encoder_pool import EncodingPool
from hub.connect.encoder_worker import recipe_for
from hub.connect.fetcher import ResilientFetcher
from hub.connect.framing import Framing
from hub.connect.page_encoding import PageEncoding
from hub.connect.publisher import BatchPublisher
from hub.connect.records import Cursor, Page
from hub.connect.resilience import CircuitBreaker, RateLimiter
from hub.connect.runtime_options import RuntimeOptions, StreamStats
from hub.connect.stream_pipeline import StreamPipeline
from hub.connect.topics import TopicNames
from hub.errors import BrokerLostError
from hub.metrics import ConnectorMetrics
from hub.trust.signing import RecordSigner

log = logging.getLogger(__name__)


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
        signer: signs every record with the source's key (loaded once, at start).
        guard: waits out broker failures when following (default: pause and retry).
        encoding: worker processes to encode large pages in (default: encode inline).
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
        signer: RecordSigner,
        guard: BrokerGuard | None = None,
        encoding: EncodingPool | None = None,
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
        self.guard = guard or BrokerGuard()
        #: streams whose committed cursor this runtime loaded or wrote (one that vanishes
        #: without a tombstone: the broker lost it).
        self._committed: set[str] = set()
        #: the guard's generation when the current cycle began.
        self._generation = self.guard.generation
        #: the current cycle's streams whose last pages are being published and committed.
        self._draining: list[asyncio.Task[None]] = []
        self._encoding = PageEncoding(
            PageEncoder(spec, mapper, schemas, topics, signer),
            recipe_for(spec, mapper, schemas, topics, signer),
            encoding,
        )
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
                try:
                    await self._sync_streams(stop)
                except Exception as exc:
                    if not follow or not is_broker_failure(exc):
                        raise
                    await self._wait_out_broker(exc, stop)
                    continue  # the cycle again (it returns at once when stopped)
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

    async def _sync_streams(self, stop: asyncio.Event) -> None:
        """One cycle: every stream from its committed cursor to the source's end.

        Streams are fetched one after another; the last pages of one are published and
        committed (drained) while the next is fetched. The cycle ends when every drain
        did; the first failure stops it, and abandons what the other streams left.
        """
        self._generation = self.guard.generation
        self._draining = draining = []
        pipelines: list[StreamPipeline] = []
        try:
            for stream in self.spec.streams:
                if stop.is_set():  # a graceful stop skips the streams not begun
                    break
                pipelines.append(await self._sync_stream(stream, stop))
                draining.append(asyncio.ensure_future(pipelines[-1].drain()))
            for drain in draining:
                await drain
        finally:
            for drain, pipeline in zip(draining, pipelines, strict=True):
                if not drain.done():
                    drain.cancel()
                    pipeline.cancel()  # a drain cancelled before it began cannot do it
                elif not drain.cancelled():
                    drain.exception()  # retrieved: the failure raised is the first awaited

    def _raise_drain_failure(self) -> None:
        """Raise what a stream draining while this one is fetched failed with, if any."""
        for drain in self._draining:
            if drain.done() and not drain.cancelled() and (failure := drain.exception()):
                raise failure

    async def _wait_out_broker(self, failure: Exception, stop: asyncio.Event) -> None:
        """Wait until the broker serves again; after a loss, forget every cursor."""
        self._set_state("degraded")
        lost = isinstance(failure, BrokerLostError)
        log.warning(
            "%s: broker failure (%s): %s", self.spec.name, type(failure).__name__,
            "the broker lost its data" if lost else "waiting for the broker",
        )  # fmt: skip
        while not stop.is_set():
            try:
                lost = await self.guard.recover(stop, lost=lost, since=self._generation)
                if lost and not stop.is_set():
                    for stream in self.spec.streams:  # a stale cursor must not survive
                        await self.cursors.reset(self.spec.name, stream.name)
                    self._committed.clear()
                    log.warning("%s: resyncing every stream in full", self.spec.name)
                break
            except Exception as again:
                if not is_broker_failure(again):
                    raise
                lost = lost or isinstance(again, BrokerLostError)
                log.warning("%s: broker still failing (%s)", self.spec.name,
                            type(again).__name__)  # fmt: skip
                with _suppress_timeout():
                    await asyncio.wait_for(stop.wait(), 1.0)
        self._set_state("running")

    async def _sync_stream(self, stream: StreamSpec, stop: asyncio.Event) -> StreamPipeline:
        """Fetch ``stream`` from its committed cursor to the source's end (or a stop); the
        pipeline returned still holds the last pages, for the caller to drain."""
        cursor = await self.cursors.load(self.spec.name, stream.name)
        if cursor is None and stream.name in self._committed:
            if not self.cursors.was_reset(self.spec.name, stream.name):
                raise BrokerLostError(f"{self.spec.name}/{stream.name}: its cursor is gone")
            log.info("%s/%s: the cursor was reset (hub offsets reset, hub resync)",
                     self.spec.name, stream.name)  # fmt: skip
            self._committed.discard(stream.name)
        elif cursor is not None:  # a caught-up cycle writes none: it was seen committed here
            self._committed.add(stream.name)
        log.info(
            "%s/%s: syncing from %s", self.spec.name, stream.name,
            "the beginning" if cursor is None else "the committed cursor",
        )  # fmt: skip
        loaded = cursor
        pipeline = StreamPipeline(
            self.spec.name, stream.name,
            encoding=self._encoding, framing=await self._framing(),
            publisher=self.publisher, metrics=self.metrics, stats=self.stats,
            commit=lambda newest: self._commit(stream, newest, loaded),
            max_in_flight=self.options.max_in_flight,
        )  # fmt: skip
        polled = self.metrics.hub.records_polled.labels(self.spec.name, stream.name)
        try:
            while not stop.is_set():  # pages fetched before a stop are drained too
                self._raise_drain_failure()
                fetched_at = time.perf_counter()
                page = await self._fetch_unless_stopped(stream.name, cursor, stop)
                if page is None:
                    break
                polled.inc(len(page.records))
                self.stats.pulled += len(page.records)
                await pipeline.add(page.records, cursor, page.cursor, fetched_at)
                cursor = page.cursor
                if not page.has_more:
                    break
        except BaseException:
            pipeline.cancel()  # only after a failure or a cancellation
            raise
        return pipeline

    async def _framing(self) -> Framing | None:
        """How worker processes frame this connector's pages (None: they do not)."""
        if not self._encoding.parallel:
            return None
        spec = self.spec
        topics = [self.topics.canonical(spec.name, e) for e in spec.entities]
        return await self.publisher.framing_for([*topics, self.topics.dead_letter(spec.name)])

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

    async def _commit(self, stream: StreamSpec, cursor: Cursor, loaded: Cursor | None) -> None:
        """Write ``stream``'s cursor, unless the broker lost its data since the cycle began.

        A cursor equal to the one the cycle loaded is not written again: a caught-up
        follower's empty polls would otherwise overwrite an operator's reset made between
        the load and the commit.
        """
        if self.guard.generation != self._generation:
            raise BrokerLostError("the broker lost its data while this cycle ran")
        if cursor == loaded:
            return
        began = time.perf_counter()
        try:
            await self.cursors.commit(self.spec.name, stream.name, cursor)
        except Exception:
            self.metrics.hub.offset_commit_failures.labels(self.spec.name).inc()
            raise
        if self.guard.generation != self._generation:  # it may have gone to the new one
            raise BrokerLostError("the broker lost its data while a cursor was committed")
        self._committed.add(stream.name)
        self.metrics.hub.offset_commit_seconds.labels(self.spec.name).observe(
            time.perf_counter() - began
        )


class _suppress_timeout:
    """``contextlib.suppress(TimeoutError)`` as a tiny named helper for readability."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return exc_type is TimeoutError
