"""Producing to Kafka with aiokafka's batch API, partitioned exactly like the Java client.

Records are grouped per topic-partition into batches (``create_batch``/``send_batch``),
which is several times faster than one ``send`` per record. The partition of a keyed
record is ``murmur2(key) % partitions``, the Kafka default, so Faust tables and any other
Kafka client agree on where a key lives.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from hub.errors import PublishError

Headers = list[tuple[str, bytes]]


@dataclass(slots=True)
class OutgoingMessage:
    """One message to produce. ``value`` None is a tombstone."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


def partition_for(key: bytes, partitions: int) -> int:
    """The Kafka default partition of ``key`` (murmur2, positive, modulo)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class BatchPublisher:
    """Appends messages to per-partition batches and submits them.

    Args:
        producer: a started producer (acks=all is set by the hub's settings).
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self._partitions: dict[str, list[int]] = {}
        self._round_robin = itertools.count()

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
        """Submit ``messages``; return a task that completes when all are acknowledged.

        The task raises :class:`PublishError` when any batch failed.
        """
        builders: dict[tuple[str, int], Any] = {}
        futures: list[asyncio.Future[Any]] = []
        for message in messages:
            parts = await self._partitions_of(message.topic)
            if message.key is None:
                partition = parts[next(self._round_robin) % len(parts)]
            else:
                partition = parts[partition_for(message.key, len(parts))]
            slot = (message.topic, partition)
            builder = builders.get(slot)
            if builder is None:
                builder = builders[slot] = self.producer.create_batch()
            if (
                builder.append(
                    key=message.key, value=message.value, timestamp=None, headers=message.headers
                )
                is None
            ):
                futures.append(await self._submit(builder, slot))
                builder = builders[slot] = self.producer.create_batch()
                builder.append(
                    key=message.key, value=message.value, timestamp=None, headers=message.headers
                )
        for slot, builder in builders.items():
            if builder.record_count():
                futures.append(await self._submit(builder, slot))
        return asyncio.ensure_future(_all_acked(futures))

    async def _submit(self, builder: Any, slot: tuple[str, int]) -> asyncio.Future[Any]:
        try:
            future: asyncio.Future[Any] = await self.producer.send_batch(
                builder, slot[0], partition=slot[1]
            )
        except KafkaError as exc:
            raise PublishError(f"could not submit a batch to {slot[0]}: {exc}") from exc
        return future


async def _all_acked(futures: list[asyncio.Future[Any]]) -> None:
    try:
        await asyncio.gather(*futures)
    except KafkaError as exc:
        raise PublishError(f"the broker did not acknowledge a batch: {exc}") from exc
