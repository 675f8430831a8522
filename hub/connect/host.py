"""The connector host: one producer, the topics, the cursor store, and the runtimes.

A host owns the Kafka clients that its connectors share, creates the topics they need
(canonical, dead-letter, offsets) and runs connectors concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.contract import ConnectorSpec
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.publisher import BatchPublisher
from hub.connect.runtime import ConnectorRuntime, RuntimeOptions, StreamStats
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.metrics import HubMetrics

DEAD_LETTER_RETENTION_MS = str(14 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class ConnectorJob:
    """A connector to run, with its source options and runtime options."""

    spec: ConnectorSpec
    options: dict[str, Any]
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)


class ConnectorHost:
    """Shared Kafka clients and topic management for connectors.

    Use as ``async with ConnectorHost(...) as host: await host.run(jobs)``.
    """

    def __init__(
        self, settings: HubSettings, bootstrap: str, metrics: HubMetrics, schemas: SchemaStore
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.metrics = metrics
        self.schemas = schemas
        self.topics = TopicNames(settings.topic_prefix)
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **settings.producer_kwargs())
        self.publisher = BatchPublisher(self.producer)
        self.cursors = KafkaCursorStore(self.producer, bootstrap, settings, self.topics.offsets())

    async def __aenter__(self) -> ConnectorHost:
        await self.producer.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        await self.producer.stop()

    def topic_specs(self, specs: Iterable[ConnectorSpec]) -> list[TopicSpec]:
        """Every topic the connectors need, with partitions and configuration."""
        wanted = [TopicSpec(self.topics.offsets(), 1, {"cleanup.policy": "compact"})]
        for spec in specs:
            for entity in spec.entities:
                wanted.append(
                    TopicSpec(
                        self.topics.canonical(spec.name, entity),
                        self.settings.topic_partitions,
                        {"cleanup.policy": "compact"},
                    )
                )
            wanted.append(
                TopicSpec(
                    self.topics.dead_letter(spec.name),
                    1,
                    {"cleanup.policy": "delete", "retention.ms": DEAD_LETTER_RETENTION_MS},
                )
            )
        return wanted

    async def prepare(self, specs: Iterable[ConnectorSpec]) -> None:
        """Create the topics of ``specs`` that do not exist yet."""
        await ensure_topics(self.bootstrap, self.settings, self.topic_specs(specs))

    def runtime(self, job: ConnectorJob) -> ConnectorRuntime:
        """A runtime for ``job`` wired to this host's clients."""
        return ConnectorRuntime(
            job.spec,
            job.spec.make_adapter(job.options),
            job.spec.make_mapper(),
            publisher=self.publisher,
            cursors=self.cursors,
            schemas=self.schemas,
            topics=self.topics,
            metrics=self.metrics.connector(job.spec.name),
            options=job.runtime,
        )

    async def run(
        self, jobs: list[ConnectorJob], *, follow: bool = False, stop: asyncio.Event | None = None
    ) -> dict[str, StreamStats]:
        """Run ``jobs`` concurrently; return each connector's counters."""
        await self.prepare(job.spec for job in jobs)
        runtimes = [self.runtime(job) for job in jobs]
        async with asyncio.TaskGroup() as group:
            for runtime in runtimes:
                group.create_task(runtime.run(follow=follow, stop=stop))
        return {r.spec.name: r.stats for r in runtimes}
