"""Topic names, topic creation, and what the cluster holds.

Naming: ``<prefix><source>.<entity>`` for canonical topics (``population.citizen``),
``<prefix><source>.dlq`` for dead letters, ``<prefix>hub.connect.offsets`` (compacted)
for connector cursors. The prefix isolates tests and tenants.

:func:`describe_cluster` asks for the cluster id and every topic's partition count with a
metadata request naming no topic, which never creates one. That matters on brokers that
create a topic, with their own defaults, whenever a client merely asks about it (the
embedded one does): after such a broker lost its topics, a producer with records in flight
re-creates them with the wrong partition count before the hub can. ``ensure_topics``
with ``repair`` (used only once the hub knows the broker lost its data) deletes those and
creates them again as specified (docs/decisions.md, "A broker that loses its data").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.metadata import MetadataRequest

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


@dataclass(frozen=True)
class ClusterView:
    """What a cluster holds: its id (None when the broker does not say) and the partition
    count of every topic."""

    cluster_id: str | None
    partitions: dict[str, int]


async def describe_cluster(client: Any) -> ClusterView:
    """The cluster id and every topic's partition count, asked of any broker.

    ``client`` is a started ``AIOKafkaClient`` (a producer's ``client``, a consumer's or an
    admin client's ``_client``). The request names no topic, so it never creates one.

    Raises:
        KafkaError: no broker answered.
    """
    node = client.get_random_node()
    answer = await client.send(node, MetadataRequest(None))
    topics = {str(t[1]): len(t[3]) for t in answer.topics if t[0] == 0}
    return ClusterView(getattr(answer, "cluster_id", None), topics)


async def ensure_topics(
    bootstrap: str, settings: HubSettings, topics: Iterable[TopicSpec], *, repair: bool = False
) -> None:
    """Create the topics that do not exist yet; existing ones are left alone.

    With ``repair``, an existing topic whose partition count differs from its spec is
    deleted first and created again: call it so only when the broker is known to have lost
    its data (the topic then holds nothing but what a client re-created it with).

    Raises:
        BrokerError: the cluster refused to create a topic for another reason.
    """
    wanted = list(topics)
    if not wanted:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **settings.security().client_kwargs())
    await admin.start()
    try:
        if repair:
            await _delete_misshapen(admin, wanted)
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


async def _delete_misshapen(admin: AIOKafkaAdminClient, wanted: list[TopicSpec]) -> None:
    """Delete the topics of ``wanted`` that exist with another partition count."""
    held = (await describe_cluster(admin._client)).partitions
    misshapen = [t.name for t in wanted if held.get(t.name, t.partitions) != t.partitions]
    if misshapen:
        log.warning(
            "re-creating %d topic(s) a client re-created with the broker's defaults: %s",
            len(misshapen), ", ".join(misshapen),
        )  # fmt: skip
        await admin.delete_topics(misshapen)


async def delete_topics_under(
    bootstrap: str, settings: HubSettings, prefixes: Iterable[str]
) -> list[str]:
    """Delete every topic whose name starts with one of ``prefixes`` (a benchmark's own
    topics, when it is done); return the names deleted.

    Best effort: it never raises (it runs in a ``finally`` that must not mask what came
    before); a failure or a topic the cluster refused to delete is logged.
    """
    wanted = tuple(p for p in prefixes if p)
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **settings.security().client_kwargs())
    try:
        await admin.start()
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(wanted))
        if not doomed:
            return []
        response = await admin.delete_topics(doomed)
    except Exception as exc:
        log.warning("could not delete the topics under %s: %s", ", ".join(wanted), exc)
        return []
    finally:
        await admin.close()
    refused = {name for name, code, *_ in response.topic_error_codes if code}
    if refused:
        log.warning("the cluster refused to delete %d topic(s): %s", len(refused),
                    ", ".join(sorted(refused)))  # fmt: skip
    return [t for t in doomed if t not in refused]
