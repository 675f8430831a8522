"""Producing to Kafka with aiokafka's batch API, partitioned exactly like the Java client.

Records are grouped per topic-partition into batches (``create_batch``/``send_batch``),
which is several times faster than one ``send`` per record. The partition of a keyed
record is ``murmur2(key) % partitions``, the Kafka default (:mod:`hub.connect.partitioning`).

aiokafka accepts one batch per partition until the batch before it was sent, and sends one
request per broker at a time. A publisher that handed each page's batches over as they
were built would wait, page after page, for the previous page's round trip to the broker.
:class:`BatchPublisher` keeps an *open* batch per partition instead, as the Java
producer's accumulator does: :meth:`BatchPublisher.publish` only appends, and a small task
per partition hands the open batch over once the previous one was acknowledged, so the
records published meanwhile travel together in the next request. Order per partition is
kept: batches are handed over in the order they were opened.

Pages encoded in worker processes arrive as finished record batches
(:mod:`hub.connect.framing`): :meth:`BatchPublisher.publish_framed` queues them behind the
partition's open batch, so the order per partition is the order of publication.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.connect.framing import FramedBatch, Framing
from hub.connect.partitioning import partition_for
from hub.errors import PublishError

Headers = list[tuple[str, bytes]]
#: A topic-partition.
Slot = tuple[str, int]


@dataclass(slots=True)
class OutgoingMessage:
    """One message to produce. ``value`` None is a tombstone."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(eq=False)
class _Batch:
    """A batch being filled, and the future its records' publishers wait on."""

    builder: Any
    acked: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class BatchPublisher:
    """Appends messages to per-partition batches and hands them to the producer.

    Args:
        producer: a started producer (acks=all is set by the hub's settings).
        framing: how the producer frames batches, for pages framed elsewhere
            (:meth:`framing_for`); None: pages travel as messages.
    """

    def __init__(self, producer: AIOKafkaProducer, framing: Framing | None = None) -> None:
        self.producer = producer
        self.framing = framing
        self._partitions: dict[str, list[int]] = {}
        self._round_robin = itertools.count()
        self._open: dict[Slot, _Batch] = {}
        self._full: dict[Slot, deque[_Batch]] = {}
        self._handing_over: dict[Slot, asyncio.Task[None]] = {}

    def forget_partitions(self) -> None:
        """Drop the cached partition lists (after topics were re-created)."""
        self._partitions.clear()

    async def _partitions_of(self, topic: str) -> list[int]:
        parts = self._partitions.get(topic)
        if parts is None:
            parts = sorted(await self.producer.partitions_for(topic))
            self._partitions[topic] = parts
        return parts

    async def publish(self, messages: Sequence[OutgoingMessage]) -> asyncio.Task[None]:
        """Queue ``messages``; return a task that completes when all are acknowledged.

        The task raises :class:`PublishError` when any of their batches failed.
        """
        waiting: dict[int, asyncio.Future[None]] = {}
        touched: set[Slot] = set()
        for message in messages:
            parts = await self._partitions_of(message.topic)
            if message.key is None:
                partition = parts[next(self._round_robin) % len(parts)]
            else:
                partition = parts[partition_for(message.key, len(parts))]
            slot = (message.topic, partition)
            batch = self._open.get(slot) or self._opened(slot)
            if (
                batch.builder.append(
                    key=message.key, value=message.value, timestamp=None, headers=message.headers
                )
                is None
            ):  # full: it goes next, and a new one takes the message
                self._full.setdefault(slot, deque()).append(batch)
                batch = self._opened(slot)
                batch.builder.append(
                    key=message.key, value=message.value, timestamp=None, headers=message.headers
                )
            waiting[id(batch)] = batch.acked
            touched.add(slot)
        for slot in touched:
            if slot not in self._handing_over:
                self._handing_over[slot] = asyncio.ensure_future(self._hand_over(slot))
        return asyncio.ensure_future(_all_acked(list(waiting.values())))

    async def framing_for(self, topics: Sequence[str]) -> Framing | None:
        """How to frame pages for ``topics`` (None: publish them as messages)."""
        if self.framing is None:
            return None
        return self.framing.with_partitions(
            {topic: len(await self._partitions_of(topic)) for topic in topics}
        )

    def publish_framed(self, batches: Sequence[FramedBatch]) -> asyncio.Task[None]:
        """Queue finished batches; return a task that completes when all are acknowledged.

        Each goes after what was published to its partition before, its open batch too.
        The task raises :class:`PublishError` when any of them failed.
        """
        waiting: list[asyncio.Future[None]] = []
        for framed in batches:
            slot = (framed.topic, framed.partition)
            queue = self._full.setdefault(slot, deque())
            opened = self._open.pop(slot, None)
            if opened is not None and opened.builder.record_count():
                queue.append(opened)
            batch = _Batch(framed)
            queue.append(batch)
            waiting.append(batch.acked)
            if slot not in self._handing_over:
                self._handing_over[slot] = asyncio.ensure_future(self._hand_over(slot))
        return asyncio.ensure_future(_all_acked(waiting))

    def _opened(self, slot: Slot) -> _Batch:
        batch = self._open[slot] = _Batch(self.producer.create_batch())
        return batch

    def _next(self, slot: Slot) -> _Batch | None:
        """The slot's next batch to hand over: a full one first, else the open one."""
        full = self._full.get(slot)
        if full:
            return full.popleft()
        batch = self._open.pop(slot, None)
        return batch if batch is not None and batch.builder.record_count() else None

    async def _hand_over(self, slot: Slot) -> None:
        """Hand the slot's batches to the producer, each once the one before was acked."""
        try:
            previous: asyncio.Future[None] | None = None
            while True:
                if previous is not None:
                    await asyncio.wait([previous])  # its outcome is its publishers' business
                batch = self._next(slot)
                if batch is None:
                    return
                previous = batch.acked
                try:
                    sent = await self.producer.send_batch(batch.builder, slot[0], partition=slot[1])
                except KafkaError as exc:
                    _settle(
                        batch.acked,
                        _failure(f"could not submit a batch to {slot[0]}: {exc}", exc),
                    )
                    continue
                sent.add_done_callback(lambda done, batch=batch: _settle_from(batch.acked, done))
        finally:
            del self._handing_over[slot]


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    """Resolve ``future`` (an error nobody awaits is not reported as unretrieved)."""
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
        future.add_done_callback(lambda f: f.exception())


def _failure(message: str, cause: BaseException) -> PublishError:
    """A publish error that carries the Kafka error behind it (the runtime tells a broker
    failure it can wait out from a refusal by that cause)."""
    error = PublishError(message)
    error.__cause__ = cause
    return error


def _settle_from(future: asyncio.Future[None], sent: asyncio.Future[Any]) -> None:
    if sent.cancelled():
        _settle(future, PublishError("the producer stopped before the batch was sent"))
    elif (error := sent.exception()) is not None:
        _settle(future, _failure(f"the broker did not acknowledge a batch: {error}", error))
    else:
        _settle(future, None)


async def _all_acked(futures: list[asyncio.Future[None]]) -> None:
    await asyncio.gather(*futures)
