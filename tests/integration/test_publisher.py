"""The batch publisher against the broker: order per key across pages published back to back."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest

from hub.config import HubSettings
from hub.connect.host import ConnectorHost
from hub.connect.publisher import OutgoingMessage
from hub.connect.reader import iter_to_end
from hub.connect.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.integration


async def test_pages_published_back_to_back_keep_each_keys_order(
    host: ConnectorHost, settings: HubSettings, bootstrap: str
) -> None:
    """Pages published without waiting for acknowledgements land in order, per key."""
    topic = f"{settings.topic_prefix}ordered"
    await ensure_topics(bootstrap, settings, [TopicSpec(topic, 3)])
    keys = [f"{n:012d}".encode() for n in range(200)]
    pages = [
        [OutgoingMessage(topic, key, f"{page}".encode() * 300, []) for key in keys]
        for page in range(12)
    ]  # about 700 KB per page: batches fill up and roll over too
    acked = [await host.publisher.publish(page) for page in pages]
    await asyncio.gather(*acked)
    seen: dict[bytes, list[int]] = defaultdict(list)
    async for record in iter_to_end(bootstrap, settings, [topic]):
        seen[record.key].append(int(record.value[: len(record.value) // 300]))
    assert set(seen) == set(keys)
    assert all(values == list(range(12)) for values in seen.values())
