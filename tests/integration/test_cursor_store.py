"""Cursor writes: each one sent at once, to the partition ``send`` would have chosen."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from hub.config import HubSettings
from hub.connect.cursor_store import KafkaCursorStore, cursor_key
from hub.connect.reader import iter_to_end
from hub.connect.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.integration


async def test_a_commit_does_not_wait_out_the_producers_linger(
    bootstrap: str, settings: HubSettings
) -> None:
    """With a 10-second linger, a cursor sent as ``send`` sends it would wait 10 seconds
    for records that never come; a commit is acknowledged well before that."""
    topic = f"{settings.topic_prefix}offsets"
    await ensure_topics(bootstrap, settings, [TopicSpec(topic, 3)])
    lingering = settings.model_copy(update={"producer_linger_ms": 10_000})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **lingering.producer_kwargs())
    await producer.start()
    try:
        store = KafkaCursorStore(producer, bootstrap, settings, topic)
        await asyncio.wait_for(store.commit("population", "citizens", {"key": "k1"}), 5)
        await asyncio.wait_for(store.commit("population", "citizens", {"key": "k2"}), 5)
        assert await store.load("population", "citizens") == {"key": "k2"}
        key = cursor_key("population", "citizens").encode()
        written = [r async for r in iter_to_end(bootstrap, settings, [topic])]
        partitions = sorted(await producer.partitions_for(topic))
        assert {r.partition for r in written} == {DefaultPartitioner()(key, partitions, partitions)}
        assert [r.key for r in written] == [key, key]
    finally:
        await producer.stop()
