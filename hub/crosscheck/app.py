"""The cross-check service: a Faust app taking dossiers from a topic and over HTTP.

A worker holds the province's evidence (:mod:`hub.crosscheck.materialise`), consumes its
share of the dossiers topic in a consumer group (Faust rebalances partitions when a
worker joins or leaves), and answers ``POST /crosscheck`` on its web server. An HTTP
dossier is routed to the worker that owns the applicant's partition of the dossiers
topic, so that any worker can be asked and one worker answers for an applicant.
Verdicts go to the verdicts topic (keyed by dossier id) and back in the HTTP answer.
Topic names: ``<prefix>crosscheck.dossiers`` and ``<prefix>crosscheck.verdicts``.

Every dossier passes the worker's :class:`~hub.crosscheck.gate.AccessGate`: the rules see
only the fields the access policy grants its procedure, and the access (or refusal) is
in the audit log (``<prefix>hub.audit``), acknowledged, before a verdict is published or
answered. An invalid policy or a missing ``crosscheck`` key stops the worker at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import faust
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.codec import SchemaStore
from hub.config import HubSettings
from hub.connect.partitioning import partition_for
from hub.connect.registry import discover
from hub.connect.topics import TopicNames
from hub.crosscheck import faust_transport
from hub.crosscheck.dossier import Dossier, DossierError, parse_dossier
from hub.crosscheck.evidence import InMemoryEvidence
from hub.crosscheck.gate import AccessGate
from hub.crosscheck.materialise import Materialiser
from hub.crosscheck.store import open_store
from hub.metrics import HubMetrics
from hub.trust.audit_log import AuditUnavailable, writer_id
from hub.trust.policy import DEFAULT_POLICY_FILE

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 120.0


class CrossCheckSettings(BaseSettings):
    """Settings of a cross-check worker (``HUB_CROSSCHECK_*``)."""

    model_config = SettingsConfigDict(env_prefix="HUB_CROSSCHECK_", extra="ignore")

    web_host: str = Field("127.0.0.1", description="Host of this worker's web server.")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of its web server.")
    store: str = Field(
        "memory://", description="Evidence store: memory:// (default) or rocksdb:// (rocksdict)."
    )
    data_dir: str = Field(".hub/crosscheck", description="Faust data directory.")
    policy_file: Path = Field(
        DEFAULT_POLICY_FILE,
        description="The access policy (TOML); checked at start, see `hub policy check`.",
    )
    consumer: str = Field("crosscheck", description="This service's consumer in the policy.")
    audit_checkpoint_every: int = Field(
        100, ge=1, le=1_000_000, description="A signed audit checkpoint after this many entries."
    )
    audit_seal_s: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="A signed audit checkpoint at most this many seconds after an entry.",
    )


def dossiers_topic(topics: TopicNames) -> str:
    """Where the provincial system submits dossiers (key: applicant PIN)."""
    return f"{topics.prefix}crosscheck.dossiers"


def verdicts_topic(topics: TopicNames) -> str:
    """Where verdicts are published (key: dossier id)."""
    return f"{topics.prefix}crosscheck.verdicts"


def _declared_id(payload: bytes | str | dict[str, Any]) -> str | None:
    """The dossier id a refused dossier declares, if it declares one (so that the refusal
    reaches the submitter on the verdicts topic)."""
    try:
        data = payload if isinstance(payload, dict) else json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        return None
    found = data.get("dossier_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def applicant_key(dossier: Dossier) -> bytes:
    """The dossier's Kafka key: the applicant's PIN, as producers key it."""
    return dossier.applicant.pin.encode()


class CrossCheckService:
    """One worker: the Faust app, its evidence, and the verdict logic.

    Args:
        settings: hub settings (topic prefix, partitions, security).
        bootstrap: the cluster.
        options: worker settings.
    """

    def __init__(self, settings: HubSettings, bootstrap: str, options: CrossCheckSettings):
        self.settings = settings
        self.topics = TopicNames(settings.topic_prefix)
        self.evidence = InMemoryEvidence()
        canonical = [
            self.topics.canonical(spec.name, entity)
            for spec in discover().values()
            for entity in spec.entities
        ]
        self.metrics = HubMetrics(CollectorRegistry())
        self.store = open_store(options.store, Path(options.data_dir))
        lag = self.metrics.consumer_lag
        self.materialiser = Materialiser(
            bootstrap, settings, SchemaStore(settings.schemas_dir), canonical, self.evidence,
            self.store,
            lambda topic, part, behind: lag.labels("evidence", topic, str(part)).set(behind),
            metrics=self.metrics,  # refused records: hub_records_refused_total
        )  # fmt: skip
        self.app = faust.App(
            f"{settings.topic_prefix}hub-crosscheck",
            broker=[f"{faust_transport.register()}://{server}" for server in bootstrap.split(",")],
            broker_credentials=settings.security().faust_credentials(),  # TLS/SASL, as aiokafka
            store="memory://",  # the evidence tables keep their own store (hub.crosscheck.store)
            datadir=options.data_dir,
            web_host=options.web_host,
            web_port=options.web_port,
            canonical_url=f"http://{options.web_host}:{options.web_port}",
            broker_session_timeout=6.0,
            broker_heartbeat_interval=1.0,
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=settings.topic_replication,
            consumer_auto_offset_reset="earliest",
            key_serializer="raw",
            value_serializer="raw",
            producer_acks=-1,
            web_enabled=True,
        )
        partitions = settings.topic_partitions
        self.dossiers = self.app.topic(dossiers_topic(self.topics), key_type=bytes,
                                       value_type=bytes, partitions=partitions)  # fmt: skip
        self.verdicts = self.app.topic(verdicts_topic(self.topics), key_type=bytes,
                                       value_type=bytes, partitions=partitions)  # fmt: skip
        self._stop = asyncio.Event()
        # Fails fast on an invalid policy (naming the place) or a missing audit key.
        self.gate = AccessGate(
            settings, bootstrap, policy_file=options.policy_file, consumer=options.consumer,
            writer=writer_id(options.web_host, options.web_port),
            checkpoint_every=options.audit_checkpoint_every, seal_after_s=options.audit_seal_s,
            on_entry=lambda kind: self.metrics.audit_entries.labels(kind).inc(),
        )  # fmt: skip
        self._register()

    def _register(self) -> None:
        app, service = self.app, self

        @app.task  # type: ignore[untyped-decorator]
        async def materialise() -> None:
            await service.verdicts.maybe_declare()  # subscribers may start before a verdict
            await service.materialiser.run(service._stop)

        @app.task  # type: ignore[untyped-decorator]
        async def open_audit() -> None:
            await service.gate.start()  # the chain's first entry: the policy activated

        async def close_audit(sender: Any, **_: Any) -> None:
            await service.gate.stop()  # the closing checkpoint, after the last dossier

        receiver: Any = close_audit  # (mode's handler type admits no plain coroutine)
        app.on_before_shutdown.connect(receiver)

        @app.agent(self.dossiers)
        async def intake(stream: Any) -> None:
            async for event in stream.events():
                answer = await service.answer(event.value)
                await service.publish(answer)

        @app.page("/crosscheck")
        class CrossCheckView(faust.web.View):
            async def post(self, request: Any) -> Any:
                return await service.http_post(self, request)

        @app.page("/metrics")
        class MetricsView(faust.web.View):
            async def get(self, request: Any) -> Any:
                for entity, keys in service.evidence.sizes().items():  # sized when scraped
                    service.metrics.table_keys.labels(entity).set(keys)
                exposition = generate_latest(service.metrics.registry).decode()
                return self.text(exposition, content_type=CONTENT_TYPE_LATEST.split(";")[0])

        @app.page("/health")
        class HealthView(faust.web.View):
            async def get(self, request: Any) -> Any:
                return self.json({"alive": True})

        @app.page("/ready")
        class ReadyView(faust.web.View):
            async def get(self, request: Any) -> Any:
                ready = service.materialiser.caught_up.is_set() and service.gate.ready
                return self.json({"ready": ready}, status=200 if ready else 503)

    async def answer(self, payload: bytes | str | dict[str, Any]) -> dict[str, Any]:
        """The verdict (as JSON) for one submitted dossier, or a refusal naming the field.

        The rules see only what the access policy grants the dossier's procedure, and the
        access (or the refusal) is in the audit log, acknowledged, before this returns.

        Raises:
            AuditUnavailable: the audit log cannot be written: nothing may be answered.
        """
        try:
            dossier = parse_dossier(payload)
            self.gate.admit(dossier)
        except DossierError as exc:
            await self.gate.record_refusal(payload, exc)
            refusal = {"status": "REFUSED", "error": str(exc), "field": exc.field}
            return {"dossier_id": _declared_id(payload), **refusal}
        if not await self.materialiser.wait_caught_up(READY_TIMEOUT_S):
            log.warning("evidence not caught up after %.0fs: answering anyway", READY_TIMEOUT_S)
        began = time.perf_counter()
        verdict, reads = self.gate.check(dossier, self.evidence)
        await self.gate.record(verdict, reads)  # acknowledged before the verdict leaves
        for result in verdict.results:
            self.metrics.rule_outcomes.labels(result.rule_id, result.outcome.value.lower()).inc()
        self.metrics.observe_verdict(verdict.status.value, time.perf_counter() - began)
        return verdict.to_json()

    async def publish(self, verdict: dict[str, Any]) -> None:
        """Send a verdict to the verdicts topic (refusals carry no dossier id: skipped)."""
        dossier_id = verdict.get("dossier_id")
        if not dossier_id:
            log.warning("refused a dossier with no dossier id (%s)", verdict.get("field"))
            return
        body = json.dumps(verdict, ensure_ascii=False, default=str).encode()
        await self.verdicts.send(key=str(dossier_id).encode(), value=body)

    async def http_post(self, view: Any, request: Any) -> Any:
        """``POST /crosscheck``: route to the applicant's worker, or answer here.

        A body over the web server's limit (1 MiB) is refused with 413 and the same JSON
        shape as any refusal; it is not audited, since nothing of it was read.
        """
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            refusal = {"status": "REFUSED", "error": exc.text or "body too large", "field": None}
            return view.json(refusal, status=413)
        try:
            dossier = parse_dossier(body)
        except DossierError:
            return await self._answer_here(view, body)  # 400, and the refusal is audited
        destination = self._owner_url(applicant_key(dossier))
        if destination is not None:
            try:
                async with self.app.http_client.post(
                    f"{destination.rstrip('/')}/crosscheck",
                    data=body,
                    headers={"Content-Type": "application/json"},
                ) as forwarded:
                    return view.text(
                        await forwarded.text(), content_type="application/json",
                        status=forwarded.status,
                    )  # fmt: skip
            except aiohttp.ClientError as exc:
                # The owner left and the group has not rebalanced yet. Every worker holds
                # all the evidence, so answering here gives the same verdict.
                log.warning("owner worker unreachable (%s): answering here", type(exc).__name__)
        return await self._answer_here(view, body)

    async def _answer_here(self, view: Any, body: bytes) -> Any:
        """Answer an HTTP dossier on this worker: 200 and published, 400 when refused
        (not published), 503 when the audit log cannot be written."""
        try:
            verdict = await self.answer(body)
        except AuditUnavailable as exc:
            return view.json({"status": "UNAVAILABLE", "error": str(exc)}, status=503)
        if verdict["status"] == "REFUSED":
            return view.json(verdict, status=400)
        await self.publish(verdict)
        return view.json(verdict)

    def _owner_url(self, key: bytes) -> str | None:
        """The URL of the worker owning ``key``'s partition, or None when it is this one.

        The partition is Kafka's default for the key (as the producers chose it); the
        owner comes from the group assignment Faust shares between workers. With no
        assignment known yet, this worker answers rather than fail.
        """
        topic = self.dossiers.get_topic_name()
        partition = partition_for(key, self.settings.topic_partitions)
        assignor: Any = self.app.assignor
        hosts: dict[str, Any] = assignor.external_topics_metadata()
        for url, assigned in hosts.items():
            if partition in (assigned.get(topic) or ()):
                return None if url == str(self.app.conf.canonical_url) else url
        return None
