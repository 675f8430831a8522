"""Connector cursors, kept in a compacted Kafka topic (DESIGN decision 4).

One record per ``<connector>/<stream>`` key, value a JSON object ``{"cursor": ...,
"committed_at": ..., "cluster": ...}``; a tombstone resets the stream. A cursor is written
with acks=all and only after every record before it was acknowledged, so the broker's data
and the cursor never disagree: a lost broker loses both (full resync), never one alone.

Two guards keep a lost broker from being mistaken for a live one (docs/decisions.md, "A
broker that loses its data"):

* ``cluster`` is the id of the cluster the stream's cursor was *loaded* from. A runtime
  still syncing when the broker restarted empty writes its next cursor with the old id;
  :meth:`KafkaCursorStore.load` ignores a cursor written under another cluster id, so
  that stale cursor can never skip what the new broker never received. (The embedded
  broker gets a fresh cluster id at every start; a rebuilt Kafka cluster has a new one.)
* every write's offset must be beyond this store's previous one in the one-partition
  topic; an offset that went back (or another partition: a topic re-created with the
  broker's defaults) means the topic was re-created, and raises
  :class:`~hub.errors.BrokerLostError`.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.config import HubSettings
from hub.connect.partitioning import partition_for
from hub.connect.reader import iter_to_end
from hub.connect.records import Cursor
from hub.connect.topics import describe_cluster
from hub.errors import BrokerLostError, PublishError

log = logging.getLogger(__name__)


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
        #: per cursor key, the cluster id its cursor was loaded under (written with it).
        self._loaded_under: dict[str, str | None] = {}
        #: (partition, offset) of this store's newest write, to see the topic go back.
        self._last_write: tuple[int, int] | None = None
        #: cursor keys whose newest record was a tombstone at their last load.
        self._reset: set[str] = set()

    async def cluster_id(self) -> str | None:
        """The id of the cluster the producer talks to (None when the broker has none).

        Raises:
            KafkaError: no broker answered.
        """
        return (await describe_cluster(self.producer.client)).cluster_id

    async def load_all(self) -> dict[str, dict[str, Any]]:
        """Every stored entry (``{"cursor", "committed_at"}``) by key, reading to the end."""
        entries, _ = await self._read()
        return entries

    async def _read(self) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """Every stored entry by key, and the keys whose newest record is a tombstone."""
        entries: dict[str, dict[str, Any]] = {}
        reset: set[str] = set()
        async for record in iter_to_end(self.bootstrap, self.settings, [self.topic]):
            key = record.key.decode("utf-8") if record.key else ""
            if record.value is None:
                entries.pop(key, None)
                reset.add(key)
            else:
                entries[key] = json.loads(record.value)
                reset.discard(key)
        return entries, reset

    def was_reset(self, connector: str, stream: str) -> bool:
        """Whether the last :meth:`load` of the stream found its cursor reset on purpose
        (a tombstone: ``hub offsets reset``, ``hub resync``), not gone with the broker's
        data. Compaction drops tombstones after ``delete.retention.ms`` (a day by
        default): a runtime that loads less often than that sees a reset as a loss."""
        return cursor_key(connector, stream) in self._reset

    async def load(self, connector: str, stream: str) -> Cursor | None:
        """The committed cursor of one stream, or None when it never committed (or when its
        cursor was written under another cluster id: see the module docstring).

        Raises:
            KafkaError: the broker did not answer.
        """
        key = cursor_key(connector, stream)
        current = await self.cluster_id()
        entries, reset = await self._read()
        entry = entries.get(key)
        self._loaded_under[key] = current
        if key in reset:
            self._reset.add(key)
        else:
            self._reset.discard(key)
        if entry is None:
            return None
        written_under = entry.get("cluster")
        if written_under is not None and current is not None and written_under != current:
            log.warning(
                "%s: cursor written before the broker lost its data (another cluster id) "
                "is ignored: full resync", key,
            )  # fmt: skip
            return None
        return dict(entry["cursor"])

    async def commit(self, connector: str, stream: str, cursor: Cursor) -> None:
        """Write ``cursor`` and wait for its acknowledgement.

        Raises:
            PublishError: the broker did not acknowledge it.
            BrokerLostError: the offsets topic went back: it was re-created.
        """
        key = cursor_key(connector, stream)
        entry: dict[str, Any] = {"cursor": cursor, "committed_at": time.time()}
        cluster = self._loaded_under.get(key)
        if cluster is not None:
            entry["cluster"] = cluster
        await self._send(key, json.dumps(entry).encode())

    def forget_position(self) -> None:
        """Forget the newest write's offset (after the topic was re-created on purpose)."""
        self._last_write = None

    async def reset(self, connector: str, stream: str) -> None:
        """Forget a stream's cursor (tombstone): its next run is a full sync."""
        await self._send(cursor_key(connector, stream), None)

    async def _send(self, key: str, value: bytes | None) -> None:
        """Write one record, as a batch of its own, and wait for its acknowledgement.

        A closed batch is sent at once: a record sent on its own (``send``) waited out the
        producer's linger first, though nothing else would join it. Its partition is the
        one ``send`` would have chosen for its key.
        """
        raw_key = key.encode()
        try:
            partitions = sorted(await self.producer.partitions_for(self.topic))
            batch = self.producer.create_batch()
            batch.append(key=raw_key, value=value, timestamp=None)
            batch.close()
            partition = partitions[partition_for(raw_key, len(partitions))]
            written = await (await self.producer.send_batch(batch, self.topic, partition=partition))
        except KafkaError as exc:
            raise PublishError(f"cursor commit for {key} failed: {exc}") from exc
        here, last = (written.partition, written.offset), self._last_write
        self._last_write = here
        if last is not None and (here[0] != last[0] or here[1] <= last[1]):
            raise BrokerLostError(
                f"the offsets topic went back (partition {here[0]} offset {here[1]} after "
                f"partition {last[0]} offset {last[1]}): it was re-created"
            )
