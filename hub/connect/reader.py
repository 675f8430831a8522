"""Reading topics from the beginning to their end (demo read-back, cursors, tools).

The embedded broker answers ListOffsets(latest) with the base offset of a partition's
last *batch* plus one, not the true end, so ``end_offsets`` undercounts as soon as a
batch holds several records. It is still right about emptiness (0 means empty), and the
high watermark in fetch responses is right; this reader relies on those two only, which
is also correct on Apache Kafka.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from hub.config import HubSettings


async def iter_to_end(
    bootstrap: str,
    settings: HubSettings,
    topics: Sequence[str],
    *,
    partition_by_partition: bool = False,
) -> AsyncIterator[Any]:
    """Yield every record of ``topics`` up to the high watermark seen at the first fetch.

    No consumer group is used (partitions are assigned), so nothing is committed. Records
    come in offset order per partition, partitions interleaved; with
    ``partition_by_partition``, each partition whole before the next, in topic and
    partition order.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **settings.security().client_kwargs(),
    )
    try:
        await consumer.start()
    except BaseException:
        await consumer.stop()  # a consumer that could not start still holds its client
        raise
    try:
        await consumer._client.force_metadata_update()
        tps = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not tps:
            return
        # Ask the ends before assigning: an assigned consumer at once long-polls its
        # partitions, and a broker answers a connection's requests in order, so the
        # ListOffsets of an empty partition waited out that fetch (fetch_max_wait_ms).
        listed = await consumer.end_offsets(tps)
        tps = [tp for tp in tps if listed[tp] > 0]
        if not tps:
            return
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end: dict[TopicPartition, int] = {}
        for group in [[tp] for tp in tps] if partition_by_partition else [tps]:
            async for record in _read_to_end(consumer, group, listed, end):
                yield record
    finally:
        await consumer.stop()


async def _read_to_end(
    consumer: AIOKafkaConsumer,
    tps: list[TopicPartition],
    listed: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
) -> AsyncIterator[Any]:
    """Yield the records of ``tps`` up to the high watermark each showed first."""
    remaining = {tp for tp in tps if listed[tp] > 0}
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=10_000)
        for tp in remaining:
            if tp not in end and consumer.highwater(tp) is not None:
                end[tp] = consumer.highwater(tp)
        for tp, records in batch.items():
            limit = end.get(tp)
            for record in records:
                if limit is None or record.offset < limit:
                    yield record
        for tp in list(remaining):
            if tp in end and await consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
