"""How the batch publisher routes a producer's failures to the publishers of a batch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, NotLeaderForPartitionError

from hub.connect.broker_guard import is_broker_failure
from hub.connect.framing import FramedBatch
from hub.connect.publisher import BatchPublisher, OutgoingMessage
from hub.errors import PublishError


class Builder:
    """Holds up to ``room`` records, like aiokafka's BatchBuilder."""

    def __init__(self, room: int) -> None:
        self.records: list[bytes | None] = []
        self.room = room

    def append(self, *, key: bytes | None, value: bytes | None, **_: Any) -> object | None:
        if len(self.records) >= self.room:
            return None
        self.records.append(value)
        return object()

    def record_count(self) -> int:
        return len(self.records)


class Producer:
    """Answers each batch with ``outcome`` (None: acknowledged), and remembers the batches."""

    def __init__(self, outcome: Exception | None, *, refuse_submission: bool = False) -> None:
        self.outcome = outcome
        self.refuse_submission = refuse_submission
        self.sent: list[tuple[int, list[bytes | None] | bytes]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1}

    def create_batch(self) -> Builder:
        return Builder(room=3)

    async def send_batch(
        self, builder: Builder | FramedBatch, topic: str, *, partition: int
    ) -> Any:
        if self.refuse_submission:
            raise KafkaTimeoutError()
        self.sent.append(
            (partition, builder.data if isinstance(builder, FramedBatch) else builder.records)
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.outcome is None:
            done.set_result(None)
        else:
            done.set_exception(self.outcome)
        return done


def _messages(count: int) -> list[OutgoingMessage]:
    return [OutgoingMessage("t", f"{n:012d}".encode(), str(n).encode(), []) for n in range(count)]


async def test_every_message_is_handed_over_in_order_per_partition() -> None:
    producer = Producer(None)
    publisher = BatchPublisher(producer)  # type: ignore[arg-type]
    await asyncio.gather(*[await publisher.publish(_messages(10)) for _ in range(3)])
    per_partition: dict[int, list[bytes | None]] = {0: [], 1: []}
    for partition, records in producer.sent:
        assert 0 < len(records) <= 3
        per_partition[partition].extend(records)
    assert all(per_partition.values()), "the keys spread over both partitions"
    assert sum(len(v) for v in per_partition.values()) == 30
    for records in per_partition.values():
        values = [int(v or b"") for v in records]
        # each page sends 0..9 again: per partition, pages follow each other
        assert values == sorted(values[: len(values) // 3]) * 3


async def test_an_unacknowledged_batch_fails_its_publishers() -> None:
    publisher = BatchPublisher(Producer(NotLeaderForPartitionError()))  # type: ignore[arg-type]
    with pytest.raises(PublishError, match="did not acknowledge") as failed:
        await (await publisher.publish(_messages(5)))
    # the Kafka error travels along: a following runtime waits a broker failure out
    assert isinstance(failed.value.__cause__, NotLeaderForPartitionError)
    assert is_broker_failure(failed.value)


async def test_a_batch_that_cannot_be_submitted_fails_its_publishers() -> None:
    producer = Producer(None, refuse_submission=True)
    publisher = BatchPublisher(producer)  # type: ignore[arg-type]
    with pytest.raises(PublishError, match="could not submit") as failed:
        await (await publisher.publish(_messages(5)))
    assert isinstance(failed.value.__cause__, KafkaTimeoutError)
