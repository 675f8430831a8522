"""TLS with client certificates, end to end, through a TLS-terminating proxy.

The embedded broker's own TLS does not work in the build we ship, so this module starts
its own broker behind :class:`tests.tlsproxy.TLSProxy` and has it advertise the proxy's
address: every client bootstraps from the proxy, and the metadata sends every later
connection (partition leaders, the group coordinator) back through it. The proxy speaks
only TLS and requires a client certificate from the throwaway CA, and it counts the
handshakes it completed, so none of these tests can pass over plaintext.

The hub's clients are configured only through ``HUB_KAFKA_*`` (``SSL``, the CA, the client
certificate and key): the admin client, the connector host's producer, the readers, and
the cross-check worker (a Faust app, run as ``hub crosscheck worker``).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry

from hub.broker import EmbeddedBroker
from hub.broker.embedded import BrokerState, free_port
from hub.codec import SchemaStore, decode_any
from hub.config import HubSettings, KafkaSecurity, load_settings
from hub.connect.host import ConnectorHost, ConnectorJob
from hub.connect.mock_options import shared_province
from hub.connect.reader import iter_to_end
from hub.connect.registry import discover
from hub.connect.topics import TopicNames, TopicSpec, ensure_topics
from hub.crosscheck.app import dossiers_topic, verdicts_topic
from hub.crosscheck.demo_run import running_worker
from hub.crosscheck.dossier import dossier_json
from hub.crosscheck.generate import generate_dossiers
from hub.metrics import HubMetrics
from hub.province import ProvinceConfig
from tests.tlsproxy import Pki, TLSProxy, issue_client, make_pki

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
POPULATION = discover()["population"]
CITIZENS = 300
PROVINCE = ProvinceConfig(seed=4242, citizens=CITIZENS, malformed_rate=0)


@dataclass(frozen=True)
class SecureCluster:
    """The proxy, the broker behind it, and the PKI."""

    proxy: TLSProxy
    broker: BrokerState
    pki: Pki

    @property
    def bootstrap(self) -> str:
        """What clients bootstrap from: the proxy, never the broker's own port."""
        return self.proxy.address


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    """A dedicated embedded broker behind a mutual-TLS proxy, advertising the proxy."""
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    broker_port = free_port()
    proxy = TLSProxy(pki, broker_port).start()
    broker = EmbeddedBroker(tmp_path_factory.mktemp("tls-broker"))
    try:
        state = broker.start(broker_port, detach=False, advertised=proxy.address)
        yield SecureCluster(proxy, state, pki)
    finally:
        broker.stop()
        proxy.stop()


def _tls_env(pki: Pki, cert: Path, key: Path) -> dict[str, str]:
    return {
        "HUB_KAFKA_SECURITY_PROTOCOL": "SSL",
        "HUB_KAFKA_SSL_CAFILE": str(pki.ca_cert),
        "HUB_KAFKA_SSL_CERTFILE": str(cert),
        "HUB_KAFKA_SSL_KEYFILE": str(key),
    }


@pytest.fixture
def tls_settings(
    cluster: SecureCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HubSettings:
    """Hub settings for the proxy, with TLS configured the way an operator would."""
    for name, value in _tls_env(cluster.pki, cluster.pki.client_cert,
                                cluster.pki.client_key).items():  # fmt: skip
        monkeypatch.setenv(name, value)
    return load_settings(
        kafka_bootstrap=cluster.bootstrap,
        topic_prefix=f"tls{uuid.uuid4().hex[:8]}.",
        topic_partitions=3,
        state_dir=tmp_path / "state",
    )


def test_the_broker_advertises_the_proxy(cluster: SecureCluster) -> None:
    assert cluster.broker.bootstrap == cluster.proxy.address
    assert cluster.broker.listener != cluster.proxy.address


async def test_admin_connector_and_consumer_over_mutual_tls(
    cluster: SecureCluster, tls_settings: HubSettings
) -> None:
    stats = cluster.proxy.stats
    handshakes, sent = stats.handshakes["hub-connector"], stats.bytes_up
    topics = TopicNames(tls_settings.topic_prefix)
    extra = f"{tls_settings.topic_prefix}tls.probe"
    await ensure_topics(cluster.bootstrap, tls_settings, [TopicSpec(extra, 2)])
    schemas = SchemaStore(tls_settings.schemas_dir)
    metrics = HubMetrics(CollectorRegistry())
    async with ConnectorHost(tls_settings, cluster.bootstrap, metrics, schemas) as host:
        options = {"province": PROVINCE.model_dump()}
        result = (await host.run([ConnectorJob(POPULATION, options)]))["population"]
    assert result.rejected == 0
    citizens = topics.canonical("population", "citizen")
    keys = set()
    async for record in iter_to_end(cluster.bootstrap, tls_settings, [citizens]):
        _, value = decode_any(schemas, record.value)
        assert value["pin"].encode() == record.key
        keys.add(record.key)
    assert len(keys) == CITIZENS
    consumer = AIOKafkaConsumer(
        citizens,
        bootstrap_servers=cluster.bootstrap,
        group_id=f"{tls_settings.topic_prefix}reader",
        auto_offset_reset="earliest",
        **tls_settings.security().client_kwargs(),
    )
    await consumer.start()  # a consumer group: the coordinator is reached through TLS too
    try:
        grouped = 0
        for _ in range(40):
            batch = await consumer.getmany(timeout_ms=250)
            grouped += sum(len(records) for records in batch.values())
            if grouped >= CITIZENS:
                break
    finally:
        await consumer.stop()
    assert grouped >= CITIZENS
    assert stats.handshakes["hub-connector"] >= handshakes + 3  # admin, producer, readers
    assert stats.bytes_up > sent + 10_000


async def test_the_crosscheck_worker_consumes_and_produces_over_mutual_tls(
    cluster: SecureCluster,
    tls_settings: HubSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real Faust worker, given only HUB_KAFKA_* with its own client certificate."""
    settings, bootstrap = tls_settings, cluster.bootstrap
    schemas = SchemaStore(settings.schemas_dir)
    async with ConnectorHost(settings, bootstrap, HubMetrics(CollectorRegistry()),
                             schemas) as host:  # fmt: skip
        await host.run([ConnectorJob(POPULATION, {"province": PROVINCE.model_dump()})])
    connector = KafkaSecurity(**{k.removeprefix("HUB_KAFKA_").lower(): v for k, v in _tls_env(
        cluster.pki, cluster.pki.client_cert, cluster.pki.client_key).items()})  # fmt: skip
    cert, key = issue_client(cluster.pki, "hub-crosscheck")
    for name, value in _tls_env(cluster.pki, cert, key).items():  # the worker inherits these
        monkeypatch.setenv(name, value)
    dossier = generate_dossiers(shared_province(PROVINCE), honest_per_procedure=1).dossiers[0]
    dossier_id = dossier.dossier.dossier_id
    async with running_worker(settings, bootstrap):
        assert cluster.proxy.stats.handshakes["hub-crosscheck"] >= 2  # Faust and evidence
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", **connector.client_kwargs()
        )
        await producer.start()
        try:
            body = json.dumps(dossier_json(dossier.dossier), default=str).encode()
            await producer.send_and_wait(
                dossiers_topic(TopicNames(settings.topic_prefix)), body,
                key=dossier.dossier.applicant.pin.encode(),
            )  # fmt: skip
        finally:
            await producer.stop()
        verdict = await _verdict(settings, bootstrap, dossier_id, connector)
    assert verdict["status"] != "REFUSED"
    assert any(c["source"] == "population" for c in verdict["citations"])


async def _verdict(
    settings: HubSettings, bootstrap: str, dossier_id: str, security: KafkaSecurity
) -> dict[str, Any]:
    """Wait for ``dossier_id``'s verdict on the verdicts topic (read over TLS)."""
    topic = verdicts_topic(TopicNames(settings.topic_prefix))
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        **security.client_kwargs(),
    )  # fmt: skip
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                if record.key == dossier_id.encode():
                    found: dict[str, Any] = json.loads(record.value)
                    return found
    finally:
        await consumer.stop()
    raise AssertionError("no verdict")


async def _refused(cluster: SecureCluster, security: KafkaSecurity) -> None:
    """An aiokafka client with these settings cannot even bootstrap."""
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap, request_timeout_ms=5000, **security.client_kwargs()
    )
    try:
        with pytest.raises(KafkaConnectionError):
            await producer.start()
    finally:
        await producer.stop()


async def test_a_client_without_the_ca_is_refused(cluster: SecureCluster) -> None:
    pki = cluster.pki
    for cafile in (None, pki.other_ca_cert):  # the system CAs; a stranger's CA
        security = KafkaSecurity(
            security_protocol="SSL",
            ssl_cafile=cafile,
            ssl_certfile=pki.client_cert,
            ssl_keyfile=pki.client_key,
        )
        await _refused(cluster, security)
        context = security.ssl_context()
        with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
            await asyncio.open_connection("127.0.0.1", cluster.proxy.port, ssl=context)


async def test_a_client_without_a_client_certificate_is_refused(cluster: SecureCluster) -> None:
    stats = cluster.proxy.stats
    before = stats.refusals["PEER_DID_NOT_RETURN_A_CERTIFICATE"]
    await _refused(cluster, KafkaSecurity(security_protocol="SSL", ssl_cafile=cluster.pki.ca_cert))
    assert stats.refusals["PEER_DID_NOT_RETURN_A_CERTIFICATE"] > before
    untrusted = stats.refusals["CERTIFICATE_VERIFY_FAILED"]
    stranger = KafkaSecurity(
        security_protocol="SSL",
        ssl_cafile=cluster.pki.ca_cert,
        ssl_certfile=cluster.pki.stranger_cert,
        ssl_keyfile=cluster.pki.stranger_key,
    )
    await _refused(cluster, stranger)  # a certificate from another CA
    assert stats.refusals["CERTIFICATE_VERIFY_FAILED"] > untrusted
    assert "stranger" not in stats.handshakes


async def test_a_plaintext_client_is_refused(cluster: SecureCluster) -> None:
    refused = cluster.proxy.stats.refused
    await _refused(cluster, KafkaSecurity())
    assert cluster.proxy.stats.refused > refused
