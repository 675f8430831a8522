"""Kafka record batches built where a page is encoded, ready for the producer to send.

Appending a message to aiokafka's batch, and before it partitioning its key, pickling it
back from an encoding worker and wrapping it again, cost the connector's process about
15 µs a record: a third of its work, in the one process that also fetches pages and
drives the producer. A worker that encodes a page can as well partition its messages
and write their record batches (aiokafka's own builder, in C): :class:`Framing` does
that, and the connector's process hands each :class:`FramedBatch` to the producer as it
is (:meth:`hub.connect.publisher.BatchPublisher.publish_framed`).

The bytes are those aiokafka would have written: record batch format v2, the producer's
compression, at most the producer's batch size (and at most :data:`FRAMED_BATCH_BYTES`,
below), keys placed by the Kafka default partitioner (:mod:`hub.connect.partitioning`),
messages without a key spread round-robin from a random partition. An idempotent
producer stamps its producer id and sequence numbers into each batch as it sends it;
framed batches cannot take them, so :meth:`Framing.for_producer` gives None when
idempotence is on and pages then travel as messages.

A framed batch holds at most 64 KiB, however large the producer's batches may grow. The
embedded broker maps fresh memory from the kernel for every batch it takes above that
(about two page faults a record with a page's 110 KiB batches, a quarter of its CPU);
64 KiB batches it serves from memory it keeps. For a Kafka broker they are ordinary: the
Java producer's own default is 16 KiB. The records of a page and their order are the
same; only where one batch ends and the next begins moves.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aiokafka.record.default_records import DefaultRecordBatchBuilder

from hub.connect.partitioning import partition_for

if TYPE_CHECKING:
    from hub.config import HubSettings
    from hub.connect.publisher import OutgoingMessage

__all__ = ["COMPRESSION_CODES", "FRAMED_BATCH_BYTES", "FramedBatch", "Framing"]

#: Kafka's compression codec ids (the record batch's attribute bits), by setting name.
COMPRESSION_CODES = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
#: The largest framed batch (see the module docstring), whatever the producer's batch size.
FRAMED_BATCH_BYTES = 64 * 1024


class FramedBatch:
    """One finished record batch for one topic-partition.

    It offers what aiokafka's producer asks of a batch builder, so it goes to
    ``AIOKafkaProducer.send_batch`` as it is; it is closed: nothing can be appended.
    """

    __slots__ = ("count", "data", "partition", "topic")

    def __init__(self, topic: str, partition: int, data: bytes, count: int) -> None:
        self.topic = topic
        self.partition = partition
        self.data = data
        self.count = count

    def __reduce__(self) -> tuple[Any, ...]:
        return (FramedBatch, (self.topic, self.partition, self.data, self.count))

    def append(self, **_: object) -> None:
        """Refuse a message: the batch is finished (aiokafka then opens one of its own)."""

    def close(self) -> None:
        """Nothing to do: the batch was closed when it was built."""

    def closed(self) -> bool:
        """Always: a framed batch is finished."""
        return True

    def record_count(self) -> int:
        """Records in the batch."""
        return self.count

    def size(self) -> int:
        """The batch's size in bytes."""
        return len(self.data)

    def _build(self) -> bytes:
        """The batch's bytes (aiokafka's name for it)."""
        return self.data

    def _set_producer_state(self, *_: object) -> None:
        raise TypeError("a framed batch cannot take an idempotent producer's state")


@dataclass(frozen=True, slots=True)
class Framing:
    """How to frame a page's messages: compression, batch size, partitions per topic.

    Attributes:
        compression: Kafka's compression codec id (:data:`COMPRESSION_CODES`).
        batch_bytes: the largest batch to write (one larger record gets a batch alone).
        partitions: the number of partitions of every topic the page may write to.
    """

    compression: int = 0
    batch_bytes: int = 1024 * 1024
    partitions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_producer(cls, settings: HubSettings) -> Framing | None:
        """The framing that matches a producer built from the hub's ``settings``: its
        compression, batches no larger than its own nor than :data:`FRAMED_BATCH_BYTES`.

        None when the producer is idempotent (it must stamp each batch itself).
        """
        if settings.enable_idempotence:
            return None
        batch_bytes = min(settings.producer_batch_bytes, FRAMED_BATCH_BYTES)
        return cls(COMPRESSION_CODES[settings.producer_compression], batch_bytes)

    def with_partitions(self, partitions: dict[str, int]) -> Framing:
        """This framing for topics with these partition counts."""
        return replace(self, partitions=partitions)

    def frame(self, messages: Sequence[OutgoingMessage]) -> list[FramedBatch]:
        """The record batches of ``messages``, per topic-partition in message order.

        Raises:
            KeyError: a message's topic is not in :attr:`partitions`.
        """
        open_batches: dict[tuple[str, int], DefaultRecordBatchBuilder] = {}
        offsets: dict[tuple[str, int], int] = {}
        framed: list[FramedBatch] = []
        spread = random.randrange(1 << 30)  # pages' few dead letters: not all on partition 0
        for message in messages:
            count = self.partitions[message.topic]
            if message.key is None:
                partition = spread % count
                spread += 1
            else:
                partition = partition_for(message.key, count)
            slot = (message.topic, partition)
            builder = open_batches.get(slot)
            if builder is None:
                builder = open_batches[slot] = self._builder()
                offsets[slot] = 0
            if (
                builder.append(offsets[slot], None, message.key, message.value, message.headers)
                is None
            ):  # full: finish it, and a new one takes the message
                framed.append(FramedBatch(*slot, bytes(builder.build()), offsets[slot]))
                builder = open_batches[slot] = self._builder()
                offsets[slot] = 0
                builder.append(0, None, message.key, message.value, message.headers)
            offsets[slot] += 1
        for slot, builder in open_batches.items():
            framed.append(FramedBatch(*slot, bytes(builder.build()), offsets[slot]))
        return framed

    def _builder(self) -> DefaultRecordBatchBuilder:
        return DefaultRecordBatchBuilder(
            2,
            self.compression,
            is_transactional=0,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=0,
            batch_size=self.batch_bytes,
        )
