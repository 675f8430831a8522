"""Connector cursors, kept in a compacted Kafka topic (DESIGN decision 4).

One record per ``<connector>/<stream>`` key, value a JSON object ``{"cursor": ...,
"committed_at": ...}``; a tombstone resets the stream. A cursor is written with acks=all
and only after every record before it was acknowledged, so the broker's data and the
cursor never disagree: a lost broker loses both (full resync), never one alone.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.config import HubSettings
from hub.connect.reader import iter_to_end
from hub.connect.records import Cursor
from hub.errors import PublishError


def cursor_key(connector: str, stream: str) -> str:
    """The offsets-topic key of a connector's stream."""
    return f"{connector}/{stream}"


class KafkaCursorStore:
    """Reads and writes cursors in the offsets topic.

    Args:
        producer: a started producer (acks=all).
        bootstrap: the cluster, for the reader.
        settings: for the client security settings.
        topic: the offsets topic (see :class:`~hub.connect.topics.TopicNames`).
    """

    def __init__(
        self, producer: AIOKafkaProducer, bootstrap: str, settings: HubSettings, topic: str
    ) -> None:
        self.producer = producer
        self.bootstrap = bootstrap
        self.settings = settings
        self.topic = topic

    async def load_all(self) -> dict[str, dict[str, Any]]:
        """Every stored entry (``{"cursor", "committed_at"}``) by key, reading to the end."""
        entries: dict[str, dict[str, Any]] = {}
        async for record in iter_to_end(self.bootstrap, self.settings, [self.topic]):
            key = record.key.decode("utf-8") if record.key else ""
            if record.value is None:
                entries.pop(key, None)
            else:
                entries[key] = json.loads(record.value)
        return entries

    async def load(self, connector: str, stream: str) -> Cursor | None:
        """The committed cursor of one stream, or None when it never committed."""
        entry = (await self.load_all()).get(cursor_key(connector, stream))
        return None if entry is None else dict(entry["cursor"])

    async def commit(self, connector: str, stream: str, cursor: Cursor) -> None:
        """Write ``cursor`` and wait for its acknowledgement.

        Raises:
            PublishError: the broker did not acknowledge it.
        """
        value = json.dumps({"cursor": cursor, "committed_at": time.time()}).encode()
        await self._send(cursor_key(connector, stream), value)

    async def reset(self, connector: str, stream: str) -> None:
        """Forget a stream's cursor (tombstone): its next run is a full sync."""
        await self._send(cursor_key(connector, stream), None)

    async def _send(self, key: str, value: bytes | None) -> None:
        try:
            await self.producer.send_and_wait(self.topic, value=value, key=key.encode())
        except KafkaError as exc:
            raise PublishError(f"cursor commit for {key} failed: {exc}") from exc
