"""The connector runtime: pull pages, map, validate and encode, publish, commit the cursor.

Per stream, a loop fetches a page (through :class:`ResilientFetcher`), turns it into
Kafka messages (canonical records and dead letters) and submits them with the batch
publisher. Up to ``max_in_flight`` pages may await acknowledgement while the next one is
fetched and encoded; cursors are committed strictly in page order, each only after its
page and all earlier ones were acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.codec import AvroCodec, SchemaStore
from hub.connect import headers as h
from hub.connect.contract import ConnectorSpec, RecordMapper, SourceAdapter, StreamSpec
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.fetcher import ResilientFetcher
from hub.connect.publisher import BatchPublisher, OutgoingMessage
from hub.connect.records import CanonicalRecord, Cursor, NativeRecord, Page
from hub.connect.resilience import CircuitBreaker, RateLimiter, RetryPolicy
from hub.connect.topics import TopicNames
from hub.errors import RecordError
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
    diagnostics: dict[str, int] = field(default_factory=dict)


@dataclass
class _Encoded:
    messages: list[OutgoingMessage] = field(default_factory=list)
    published: int = 0
    rejected: int = 0
    written: dict[str, int] = field(default_factory=dict)
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
        self._codecs = {e: AvroCodec(schemas.get(spec.name, e)) for e in spec.entities}
        self._topic_of = {e: topics.canonical(spec.name, e) for e in spec.entities}
        self._fingerprints = {
            e: codec.schema.fingerprint.hex().encode() for e, codec in self._codecs.items()
        }
        self._dead_letter_topic = topics.dead_letter(spec.name)
        self._source = spec.name.encode()
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
            self.stats.diagnostics = self.adapter.diagnostics()
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
                encoded = self._encode(stream, page, cursor)
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

    async def _account(self, acked: asyncio.Task[None], encoded: _Encoded) -> None:
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

    def _encode(self, stream: StreamSpec, page: Page, cursor: Cursor | None) -> _Encoded:
        """Map, validate and encode a page into messages; bad records become dead letters."""
        out = _Encoded()
        now = datetime.now(UTC)
        extracted = now.isoformat(timespec="milliseconds").encode()
        correlation = uuid.uuid4().hex.encode()
        common = [(h.SOURCE, self._source), (h.EXTRACTED_AT, extracted)]
        iso_of: dict[datetime, bytes] = {}  # update times repeat within a page
        for native in page.records:
            try:
                canonical = self.mapper.map(stream.name, native)
                encoded = [(c, self._encode_value(c)) for c in canonical]
            except RecordError as exc:
                self._dead_letter(out, stream, native, cursor, exc.stage, exc)
                continue
            except Exception as exc:  # a mapper bug must not stop the pipe either
                self._dead_letter(out, stream, native, cursor, "map", exc)
                continue
            for record, (value, fingerprint) in encoded:
                topic = self._topic_of[record.entity]
                updated = iso_of.get(record.updated_at)
                if updated is None:
                    updated = iso_of[record.updated_at] = record.updated_at.isoformat().encode()
                    out.newest_update = max(out.newest_update, record.updated_at.timestamp())
                headers = [
                    (h.MESSAGE_ID, uuid.uuid4().hex.encode()),
                    *common,
                    (h.SCHEMA, fingerprint),
                    (h.SOURCE_VERSION, record.source_version.encode()),
                    (h.SOURCE_UPDATED_AT, updated),
                    (h.CORRELATION_ID, correlation),
                ]
                if record.headers:
                    headers.extend((k, v.encode()) for k, v in record.headers.items())
                out.messages.append(OutgoingMessage(topic, record.key.encode(), value, headers))
                out.written[topic] = out.written.get(topic, 0) + 1
                out.published += 1
        return out

    def _encode_value(self, record: CanonicalRecord) -> tuple[bytes | None, bytes]:
        codec = self._codecs[record.entity]
        fingerprint = self._fingerprints[record.entity]
        if record.value is None:
            return None, fingerprint
        return codec.encode(record.value), fingerprint

    def _dead_letter(
        self,
        out: _Encoded,
        stream: StreamSpec,
        native: NativeRecord,
        cursor: Cursor | None,
        stage: str,
        exc: BaseException,
    ) -> None:
        self.metrics.record_error(stage)
        reason = str(exc) or type(exc).__name__
        log.warning(
            "%s/%s: record at %s dead-lettered at stage %s (%s)",
            self.spec.name, stream.name, native.position or "?", stage, type(exc).__name__,
        )  # fmt: skip
        out.messages.append(
            OutgoingMessage(
                self._dead_letter_topic,
                None,
                native.raw_bytes(),
                [
                    (h.MESSAGE_ID, uuid.uuid4().hex.encode()),
                    (h.SOURCE, self._source),
                    (h.STREAM, stream.name.encode()),
                    (h.STAGE, stage.encode()),
                    (h.ERROR, reason.encode("utf-8", "replace")[:2000]),
                    (h.ERROR_CLASS, type(exc).__name__.encode()),
                    (h.CURSOR, json.dumps(cursor).encode()),
                    (h.POSITION, native.position.encode()),
                ],
            )
        )
        out.rejected += 1


class _suppress_timeout:
    """``contextlib.suppress(TimeoutError)`` as a tiny named helper for readability."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return exc_type is TimeoutError
