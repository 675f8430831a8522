"""One stream's pages between fetching and their committed cursor.

A :class:`StreamPipeline` takes the pages a runtime fetched, in source order, and has
each encoded (in worker processes, or at once:
:class:`~hub.connect.page_encoding.PageEncoding`), published with the batch publisher,
acknowledged and accounted for, and its cursor committed
(:class:`~hub.connect.committer.CursorCommitter`): strictly in page order, each cursor
only after its page and every earlier one was acknowledged.

Once the stream's last page is fetched, :meth:`StreamPipeline.drain` publishes and
commits what is left; the runtime runs it while it fetches the next stream, so that the
encoding workers are not idle while the last pages of a stream wait for their
acknowledgements and commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from hub.connect.committer import CursorCommitter
from hub.connect.encoder import EncodedPage
from hub.connect.framing import Framing
from hub.connect.page_encoding import PageEncoding
from hub.connect.publisher import BatchPublisher
from hub.connect.records import Cursor, NativeRecord
from hub.connect.runtime_options import StreamStats
from hub.metrics import ConnectorMetrics

__all__ = ["StreamPipeline"]

log = logging.getLogger(__name__)


class StreamPipeline:
    """Encodes, publishes and commits one stream's pages, in order.

    Args:
        connector: the connector's name (for metrics and logs).
        stream: the stream's name.
        encoding: how the runtime's pages are encoded.
        framing: how worker processes frame the pages (None: they do not).
        publisher: the batch publisher.
        metrics: the connector's metrics.
        stats: the runtime's counters, updated as pages are acknowledged.
        commit: writes a cursor and waits for its acknowledgement.
        max_in_flight: pages that may await acknowledgement at once.
    """

    def __init__(
        self,
        connector: str,
        stream: str,
        *,
        encoding: PageEncoding,
        framing: Framing | None,
        publisher: BatchPublisher,
        metrics: ConnectorMetrics,
        stats: StreamStats,
        commit: Callable[[Cursor], Awaitable[None]],
        max_in_flight: int,
    ) -> None:
        self.connector = connector
        self.stream = stream
        self.publisher = publisher
        self.metrics = metrics
        self.stats = stats
        self.max_in_flight = max_in_flight
        self._encoding = encoding
        self._framing = framing
        self._committer = CursorCommitter(commit)
        #: pages being encoded (in worker processes, or done at once), in source order.
        self._encoded: deque[tuple[asyncio.Future[EncodedPage], Cursor, float]] = deque()
        #: pages published and awaiting acknowledgement, in source order.
        self._in_flight: deque[tuple[asyncio.Task[None], Cursor, float]] = deque()

    async def add(
        self,
        records: Sequence[NativeRecord],
        before: Cursor | None,
        after: Cursor,
        fetched_at: float,
    ) -> None:
        """Take the next page (fetched at ``fetched_at`` from ``before``; ``after`` is its
        cursor); publish the pages encoded by now, and commit what was acknowledged.

        Returns once fewer pages are encoding than the workers can take and at most
        ``max_in_flight - 1`` await acknowledgement: the caller then fetches the next page.
        """
        encoded = self._encoding.submit(self.stream, records, before, self._framing)
        self._encoded.append((encoded, after, fetched_at))
        while self._encoded and (
            len(self._encoded) > self._encoding.parallel or self._encoded[0][0].done()
        ):
            await self._publish(self._encoded.popleft())
        await self._commit_done(keep=self.max_in_flight - 1)

    async def drain(self) -> None:
        """Publish every page left, wait for their acknowledgements, commit the last
        cursor; on failure or cancellation, abandon what is left (the committed cursor
        stays at the last page acknowledged with every earlier one)."""
        try:
            while self._encoded:
                await self._publish(self._encoded.popleft())
            await self._commit_done(keep=0)
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Abandon the pages encoding or in flight and the commits not done (after a
        failure or a cancellation; nothing is left after a drain)."""
        for pending in [f for f, _, _ in self._encoded] + [t for t, _, _ in self._in_flight]:
            pending.cancel()
        self._encoded.clear()
        self._in_flight.clear()
        self._committer.cancel()

    async def _publish(self, page: tuple[asyncio.Future[EncodedPage], Cursor, float]) -> None:
        """Publish an encoded page; it joins the pages awaiting acknowledgement."""
        encoding, cursor, fetched_at = page
        encoded = await encoding
        self._report_rejections(encoded)
        if encoded.batches:
            acked = self.publisher.publish_framed(encoded.batches)
        else:
            acked = await self.publisher.publish(encoded.messages)
        self._in_flight.append((asyncio.ensure_future(self._account(acked, encoded)), cursor,
                                fetched_at))  # fmt: skip

    async def _account(self, acked: asyncio.Task[None], encoded: EncodedPage) -> None:
        await acked
        self.stats.published += encoded.published
        self.stats.rejected += encoded.rejected
        for topic, count in encoded.written.items():
            self.metrics.hub.records_written.labels(self.connector, topic).inc(count)
        if encoded.rejected:
            self.metrics.hub.dead_letters.labels(self.connector).inc(encoded.rejected)
        if encoded.newest_update > self.stats.newest_update:
            self.stats.newest_update = encoded.newest_update
            self.metrics.observe_watermark(encoded.newest_update, time.time())

    async def _commit_done(self, keep: int) -> None:
        """Await the oldest pages until at most ``keep`` remain; commit the newest cursor
        (in the background; with ``keep`` 0, wait until every cursor is committed)."""
        newest: Cursor | None = None
        while len(self._in_flight) > keep:
            acked, cursor, fetched_at = self._in_flight.popleft()
            await acked
            self.metrics.hub.batch_seconds.labels(self.connector).observe(
                time.perf_counter() - fetched_at
            )
            newest = cursor
        if newest is not None:
            self._committer.offer(newest)
        if keep == 0:
            await self._committer.flush()

    def _report_rejections(self, encoded: EncodedPage) -> None:
        for rejection in encoded.rejections:
            self.metrics.record_error(rejection.stage)
            log.warning(
                "%s/%s: record at %s dead-lettered at stage %s (%s)",
                self.connector, self.stream, rejection.position or "?", rejection.stage,
                rejection.error_class,
            )  # fmt: skip
