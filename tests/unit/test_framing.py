"""Record batches framed outside the producer: the bytes aiokafka would send, in order."""

from __future__ import annotations

import asyncio
import pickle
from collections import defaultdict
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.record.memory_records import MemoryRecords

from hub.config import HubSettings
from hub.connect.framing import COMPRESSION_CODES, FRAMED_BATCH_BYTES, FramedBatch, Framing
from hub.connect.partitioning import partition_for
from hub.connect.publisher import BatchPublisher, OutgoingMessage

from .test_publisher import Producer


def _messages(count: int, topic: str = "t", size: int = 10) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            topic, f"{n:012d}".encode(), str(n).encode() * size, [("hub.n", str(n).encode())]
        )
        for n in range(count)
    ]


def _read(batch: FramedBatch) -> list[tuple[Any, ...]]:
    records = MemoryRecords(batch.data)
    read = []
    while (kafka_batch := records.next_batch()) is not None:
        assert kafka_batch.validate_crc()
        read.extend((r.offset, r.key, r.value, r.headers) for r in kafka_batch)
    return read


def test_every_message_lands_once_in_its_partition_in_order() -> None:
    messages = _messages(300)
    batches = Framing(partitions={"t": 4}).frame(messages)
    seen: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for batch in batches:
        records = _read(batch)
        assert batch.record_count() == len(records) > 0
        assert [offset for offset, *_ in records] == list(range(len(records)))
        seen[batch.partition].extend(records)
    assert sorted(seen) == [0, 1, 2, 3]
    for partition, records in seen.items():
        expected = [m for m in messages if partition_for(m.key or b"", 4) == partition]
        assert [(k, v, h) for _, k, v, h in records] == [
            (m.key, m.value, m.headers) for m in expected
        ]


async def test_a_batch_is_what_the_producers_own_batch_builder_writes() -> None:
    """The same header fields, records and size; only the clock's timestamps may differ."""
    messages = _messages(5)
    settings = HubSettings(producer_compression="gzip", producer_batch_bytes=64 * 1024)
    framing = Framing.for_producer(settings)
    assert framing is not None
    (framed,) = framing.with_partitions({"t": 1}).frame(messages)
    producer = AIOKafkaProducer(**settings.producer_kwargs())  # never started: no I/O
    builder = producer.create_batch()
    await producer.stop()
    for m in messages:
        builder.append(key=m.key, value=m.value, timestamp=None, headers=m.headers)
    ours, theirs = MemoryRecords(framed.data).next_batch(), MemoryRecords(bytes(builder._build()))
    other = theirs.next_batch()
    assert ours is not None and other is not None
    fields = ("magic", "attributes", "compression_type", "producer_id", "producer_epoch",
              "base_sequence", "last_offset_delta", "is_transactional")  # fmt: skip
    assert [getattr(ours, f) for f in fields] == [getattr(other, f) for f in fields]
    assert [(r.offset, r.key, r.value, r.headers) for r in ours] == [
        (r.offset, r.key, r.value, r.headers) for r in other
    ]
    assert len(framed.data) == len(builder._build()) and framed.record_count() == 5


def test_a_full_batch_rolls_over_and_keeps_the_order() -> None:
    messages = _messages(200, size=100)  # about 40 KB for one partition
    batches = Framing(batch_bytes=4096, partitions={"t": 1}).frame(messages)
    assert len(batches) > 5
    assert all(b.size() <= 4096 + 400 for b in batches)  # one record may spill over
    values = [v for b in batches for _, _, v, _ in _read(b)]
    assert values == [m.value for m in messages]


def test_framed_batches_stay_within_64_kib_whatever_the_producers_batch_size() -> None:
    """Large producer batches still frame as 64 KiB ones (the embedded broker maps fresh
    memory for larger ones); a smaller producer batch size is kept."""
    default = Framing.for_producer(HubSettings())
    small = Framing.for_producer(HubSettings(producer_batch_bytes=16 * 1024))
    assert default is not None and small is not None
    assert HubSettings().producer_batch_bytes > FRAMED_BATCH_BYTES == default.batch_bytes
    assert small.batch_bytes == 16 * 1024
    messages = _messages(500, size=300)  # a page of about 1 KB records: 500 KB
    batches = default.with_partitions({"t": 2}).frame(messages)
    assert all(b.size() <= FRAMED_BATCH_BYTES for b in batches) and len(batches) >= 8
    assert sorted(v for b in batches for *_, v, _ in _read(b)) == sorted(m.value for m in messages)


def test_messages_without_a_key_spread_over_the_partitions() -> None:
    messages = [OutgoingMessage("dlq", None, b"raw", []) for _ in range(9)]
    batches = Framing(partitions={"dlq": 3}).frame(messages)
    assert sorted((b.partition, b.record_count()) for b in batches) == [(0, 3), (1, 3), (2, 3)]
    # pages with a single dead letter do not all land on the same partition
    lone = {Framing(partitions={"dlq": 3}).frame(messages[:1])[0].partition for _ in range(60)}
    assert lone == {0, 1, 2}


def test_compression_is_the_producers() -> None:
    settings = HubSettings(producer_compression="gzip")
    framing = Framing.for_producer(settings)
    assert framing is not None and framing.compression == COMPRESSION_CODES["gzip"]
    (batch,) = framing.with_partitions({"t": 1}).frame(_messages(50))
    kafka_batch = MemoryRecords(batch.data).next_batch()
    assert kafka_batch is not None and kafka_batch.compression_type == COMPRESSION_CODES["gzip"]
    assert [r.value for r in kafka_batch] == [m.value for m in _messages(50)]


def test_an_idempotent_producer_gets_messages_not_frames() -> None:
    assert Framing.for_producer(HubSettings(enable_idempotence=True)) is None


def test_a_topic_without_a_partition_count_is_refused() -> None:
    with pytest.raises(KeyError):
        Framing(partitions={"t": 1}).frame(_messages(1, topic="elsewhere"))


def test_a_framed_batch_crosses_processes_and_takes_no_more_records() -> None:
    (batch,) = Framing(partitions={"t": 1}).frame(_messages(3))
    again = pickle.loads(pickle.dumps(batch))
    assert (again.topic, again.partition, again.data, again.record_count()) == (
        "t", 0, batch.data, 3
    )  # fmt: skip
    assert again.closed() and again.append(key=b"k", value=b"v") is None
    with pytest.raises(TypeError):
        again._set_producer_state(1, 0, 0)


async def test_framed_batches_go_after_what_the_partition_holds_already() -> None:
    producer = Producer(None)
    publisher = BatchPublisher(producer)  # type: ignore[arg-type]
    first = await publisher.publish(
        [OutgoingMessage("t", b"k", b"open", [])]
    )  # waits in an open batch
    framed = publisher.publish_framed([FramedBatch("t", partition_for(b"k", 2), b"data", 1)])
    await asyncio.gather(first, framed)
    assert [records for _, records in producer.sent] == [[b"open"], b"data"]


async def test_the_publisher_frames_for_the_topics_partitions() -> None:
    publisher = BatchPublisher(Producer(None), Framing(3, 4096))  # type: ignore[arg-type]
    framing = await publisher.framing_for(["a", "b"])
    assert framing == Framing(3, 4096, {"a": 2, "b": 2})
    assert await BatchPublisher(Producer(None)).framing_for(["a"]) is None  # type: ignore[arg-type]
