"""The connector host: one producer, the topics, the cursor store, and the runtimes.

A host owns the Kafka clients that its connectors share, creates the topics they need
(canonical, dead-letter, offsets) and runs connectors concurrently.

It is also its runtimes' :class:`~hub.connect.broker_guard.BrokerGuard`. A following runtime
that meets a broker failure asks the host to recover: the host waits until the broker
answers, and when the broker lost its data (a runtime saw its committed cursor vanish or
the offsets topic go back, or the cluster id changed) it bumps its generation, so that
every runtime whose cycle began before stops short of committing, and re-creates every
topic it prepared, repairing those a client re-created with the broker's defaults in the
meantime. Whichever runtime notices first repairs; the others find the generation moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.broker_guard import BrokerGuard
from hub.connect.contract import ConnectorSpec
from hub.connect.cursor_store import KafkaCursorStore
from hub.connect.encoder_pool import EncodingPool
from hub.connect.framing import Framing
from hub.connect.publisher import BatchPublisher
from hub.connect.runtime import ConnectorRuntime
from hub.connect.runtime_options import RuntimeOptions, StreamStats
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.errors import BrokerError
from hub.metrics import HubMetrics
from hub.trust.keys import KeyStore
from hub.trust.signing import RecordSigner

log = logging.getLogger(__name__)

DEAD_LETTER_RETENTION_MS = str(14 * 24 * 3600 * 1000)
#: Backoff while waiting for the broker to answer again: first and longest pause.
RECOVERY_BACKOFF_S = (0.2, 2.0)


@dataclass(frozen=True)
class ConnectorJob:
    """A connector to run, with its source options and runtime options."""

    spec: ConnectorSpec
    options: dict[str, Any]
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)


class ConnectorHost(BrokerGuard):
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
        self.publisher = BatchPublisher(self.producer, Framing.for_producer(settings))
        self.cursors = KafkaCursorStore(self.producer, bootstrap, settings, self.topics.offsets())
        self.encoding = EncodingPool.shared(
            settings.encode_workers, settings.encode_worker_niceness
        )
        self.generation = 0
        self._prepared: dict[str, TopicSpec] = {}
        self._cluster_id: str | None = None
        self._recovering = asyncio.Lock()

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

    async def prepare(
        self, specs: Iterable[ConnectorSpec], extra: Iterable[TopicSpec] = ()
    ) -> None:
        """Create the topics of ``specs`` (and ``extra`` ones) that do not exist yet; they
        are created again after the broker lost its data (:meth:`recover`)."""
        wanted = [*self.topic_specs(specs), *extra]
        self._prepared.update((t.name, t) for t in wanted)
        await ensure_topics(self.bootstrap, self.settings, wanted)
        if self._cluster_id is None:
            self._cluster_id = await self.cursors.cluster_id()

    async def recover(self, stop: asyncio.Event, *, lost: bool, since: int) -> bool:
        """Wait until the broker answers, re-creating the topics if it lost its data.

        Returns whether the broker lost its data since generation ``since`` (see
        :class:`~hub.connect.broker_guard.BrokerGuard`); gives up quietly when ``stop`` is set.
        """
        async with self._recovering:
            handled = since != self.generation  # another runtime recovered from this loss
            lost = lost or handled
            pause = RECOVERY_BACKOFF_S[0]
            while not stop.is_set():
                try:
                    current = await self.cursors.cluster_id()
                    if handled:
                        return True
                    if self._cluster_id is not None and current not in (None, self._cluster_id):
                        lost = True
                    if lost and since == self.generation:
                        self.generation += 1
                        log.warning("the broker lost its data: re-creating %d topics",
                                    len(self._prepared))  # fmt: skip
                    await ensure_topics(self.bootstrap, self.settings,
                                        list(self._prepared.values()), repair=lost)  # fmt: skip
                except (KafkaError, BrokerError) as exc:
                    log.info("broker not serving yet (%s): next try in %.1fs",
                             type(exc).__name__, pause)  # fmt: skip
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), pause)
                    pause = min(pause * 2, RECOVERY_BACKOFF_S[1])
                    continue
                self._cluster_id = current or self._cluster_id
                self.publisher.forget_partitions()
                if lost:
                    self.cursors.forget_position()
                return lost
            return lost

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
            signer=self.signer(job.spec.name),
            guard=self,
            encoding=self.encoding,
        )

    def signer(self, source: str) -> RecordSigner:
        """A signer with ``source``'s current key (``HUB_TRUST_KEYS_DIR`` or the environment).

        Raises:
            ConfigurationError: the source has no key (names ``HUB_TRUST_KEYS_DIR``).
        """
        return RecordSigner(KeyStore(self.settings.trust().keys_dir).signing_key(source))

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
