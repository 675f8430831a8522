"""Topic names and topic creation.

Naming: ``<prefix><source>.<entity>`` for canonical topics (``population.citizen``),
``<prefix><source>.dlq`` for dead letters, ``<prefix>hub.connect.offsets`` (compacted)
for connector cursors. The prefix isolates tests and tenants.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.config import HubSettings
from hub.errors import BrokerError

log = logging.getLogger(__name__)

_TOPIC_EXISTS = 36


@dataclass(frozen=True)
class TopicNames:
    """Builds every topic name from one prefix."""

    prefix: str = ""

    def canonical(self, source: str, entity: str) -> str:
        """The canonical topic of ``source``'s ``entity``."""
        return f"{self.prefix}{source}.{entity}"

    def dead_letter(self, source: str) -> str:
        """The dead-letter topic of ``source``."""
        return f"{self.prefix}{source}.dlq"

    def offsets(self) -> str:
        """The compacted topic holding every connector's cursor."""
        return f"{self.prefix}hub.connect.offsets"


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partitions and configuration."""

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


async def ensure_topics(bootstrap: str, settings: HubSettings, topics: Iterable[TopicSpec]) -> None:
    """Create the topics that do not exist yet; existing ones are left alone.

    Raises:
        BrokerError: the cluster refused to create a topic for another reason.
    """
    wanted = list(topics)
    if not wanted:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **settings.security().client_kwargs())
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    name=t.name,
                    num_partitions=t.partitions,
                    replication_factor=settings.topic_replication,
                    topic_configs=t.config,
                )
                for t in wanted
            ]
        )
    finally:
        await admin.close()
    for result in response.topic_errors:
        name, code = result[0], result[1]
        if code not in (0, _TOPIC_EXISTS):
            raise BrokerError(f"could not create topic {name}: error code {code}")
    log.debug("topics ensured: %s", ", ".join(t.name for t in wanted))
