"""TLS and SASL settings for every Kafka connection, from one model (``HUB_KAFKA_*``).

The embedded broker cannot do TLS or SASL itself, so SASL is proved here by the exact
arguments handed to aiokafka and Faust, and TLS additionally end to end through a
TLS-terminating proxy (tests/integration/test_tls_transport.py).
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaClient
from cryptography.hazmat.primitives import serialization
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import AuthProtocol, SASLMechanism

from hub.broker import EmbeddedBroker
from hub.broker.embedded import free_port
from hub.config import HubSettings, KafkaSecurity, load_settings
from hub.crosscheck import faust_transport
from hub.errors import BrokerError, ConfigurationError
from tests.tlsproxy import Pki, make_pki

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Sasl-Pa55w0rd-synthetic-7f3a"
KEY_PASSWORD = "Key-Pa55w0rd-synthetic-91c2"


pytestmark = pytest.mark.usefixtures("without_hub_environment")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA with server and client certificates."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def encrypted_key(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client key, encrypted with :data:`KEY_PASSWORD`."""
    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), None)
    path = tmp_path_factory.mktemp("enc") / "client-encrypted.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
    )
    return path


def _scram_ssl_env(monkeypatch: pytest.MonkeyPatch, pki: Pki, username: str) -> None:
    """SASL_SSL with SCRAM-SHA-512 as ``username``, trusting the test CA, in HUB_KAFKA_*."""
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("HUB_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("HUB_KAFKA_SASL_USERNAME", username)
    monkeypatch.setenv("HUB_KAFKA_SASL_PASSWORD", PASSWORD)
    monkeypatch.setenv("HUB_KAFKA_SSL_CAFILE", str(pki.ca_cert))


def _mtls(pki: Pki, **extra: Any) -> KafkaSecurity:
    return KafkaSecurity(
        security_protocol="SSL",
        ssl_cafile=pki.ca_cert,
        ssl_certfile=pki.client_cert,
        ssl_keyfile=pki.client_key,
        **extra,
    )


def _scram_ssl(
    pki: Pki, *, user: str = "hub-connector", client_cert: bool = False
) -> KafkaSecurity:
    mutual = {"ssl_certfile": pki.client_cert, "ssl_keyfile": pki.client_key} if client_cert else {}
    return KafkaSecurity(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=user,
        sasl_password=PASSWORD,
        ssl_cafile=pki.ca_cert,
        **mutual,
    )


def _plain() -> KafkaSecurity:
    return KafkaSecurity(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="hub-connector",
        sasl_password=PASSWORD,
    )


def _server_context(pki: Pki) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki.ca_cert)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str) -> str:
    """Run a TLS handshake in memory; the client certificate's common name the server saw."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client_end = client.wrap_bio(c_in, c_out, server_hostname=hostname)
    server_end = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, end in (("client", client_end), ("server", server_end)):
            if not done[name]:
                try:
                    end.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            client_end.write(b"ping")  # TLS 1.3: the server checks the client's certificate
            s_in.write(c_out.read())
            assert server_end.read(4) == b"ping"
            peer = server_end.getpeercert() or {}
            return next(v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName")
    raise AssertionError("the handshake did not complete")


# --- the kwargs handed to aiokafka -------------------------------------------------------


def test_plaintext_kwargs_and_no_faust_credentials() -> None:
    security = KafkaSecurity()
    assert security.client_kwargs() == {"security_protocol": "PLAINTEXT"}
    assert security.ssl_context() is None
    assert security.faust_credentials() is None


def test_mutual_tls_kwargs_verify_the_broker_and_present_the_client_certificate(
    pki: Pki,
) -> None:
    kwargs = _mtls(pki).client_kwargs()
    assert set(kwargs) == {"security_protocol", "ssl_context"}
    assert kwargs["security_protocol"] == "SSL"
    context: ssl.SSLContext = kwargs["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert [dict(c["subject"][-1])["commonName"] for c in context.get_ca_certs()] == ["hub test CA"]
    assert _handshake(context, _server_context(pki), "127.0.0.1") == "hub-connector"
    with pytest.raises(ssl.SSLCertVerificationError):  # the SAN names 127.0.0.1, localhost
        _handshake(_mtls(pki).client_kwargs()["ssl_context"], _server_context(pki), "kafka-1")


def test_hostname_check_can_be_turned_off_but_the_chain_is_still_verified(pki: Pki) -> None:
    context = _mtls(pki, ssl_check_hostname=False).ssl_context()
    assert context is not None
    assert context.check_hostname is False
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert _handshake(context, _server_context(pki), "kafka-1") == "hub-connector"


def test_sasl_ssl_scram_sha_512_kwargs(pki: Pki) -> None:
    kwargs = _scram_ssl(pki).client_kwargs()
    context = kwargs.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert kwargs == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "hub-connector",
        "sasl_plain_password": PASSWORD,
    }


def test_sasl_plaintext_plain_kwargs() -> None:
    assert _plain().client_kwargs() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_plain_username": "hub-connector",
        "sasl_plain_password": PASSWORD,
    }


def test_sasl_and_mutual_tls_together(pki: Pki) -> None:
    security = _scram_ssl(pki, client_cert=True)
    kwargs = security.client_kwargs()
    assert kwargs["sasl_plain_password"] == PASSWORD
    assert _handshake(kwargs["ssl_context"], _server_context(pki), "localhost") == "hub-connector"


def test_every_client_gets_the_same_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    _scram_ssl_env(monkeypatch, pki, "hub-connector")
    settings = load_settings()
    client = settings.security().client_kwargs()
    producer = settings.producer_kwargs()
    for kwargs in (client, producer):
        assert kwargs["security_protocol"] == "SASL_SSL"
        assert kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
        assert kwargs["sasl_plain_password"] == PASSWORD
        assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
    assert producer["acks"] == "all"


def _secured(call: str, module: str) -> bool:
    """True when ``call`` passes the security settings, directly or via ``**name`` where
    ``name`` is assigned from them in the same module."""
    markers = "client_kwargs|producer_kwargs\\(\\)|kafka_security\\(\\)|faust_credentials\\(\\)"
    if re.search(markers, call):
        return True
    return any(
        re.search(rf"\b{name}\s*(?::[^=]*)?=[^\n]*({markers})", module)
        for name in re.findall(r"\*\*(\w+)", call)
    )


def test_hub_and_examples_build_every_kafka_client_with_the_security_settings() -> None:
    """Every aiokafka client and Faust app constructed outside the tests gets the settings."""
    constructors = ("AIOKafkaProducer(", "AIOKafkaConsumer(", "AIOKafkaAdminClient(")
    constructors += ("AIOKafkaClient(", "faust.App(")
    unsecured = []
    for path in [p for d in ("hub", "examples", "tools") for p in (REPO / d).rglob("*.py")]:
        text = path.read_text()
        for constructor in constructors:
            start = text.find(constructor)
            while start != -1:
                depth, end = 0, start
                for end in range(start + len(constructor) - 1, len(text)):
                    depth += {"(": 1, ")": -1}.get(text[end], 0)
                    if depth == 0:
                        break
                call = text[start : end + 1]
                if not _secured(call, text):
                    unsecured.append(f"{path.relative_to(REPO)}: {call.splitlines()[0]}")
                start = text.find(constructor, end)
    assert unsecured == []


def test_the_example_subscriber_reads_the_same_variables(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    spec = importlib.util.spec_from_file_location("subscriber", REPO / "examples/subscriber.py")
    assert spec is not None and spec.loader is not None
    subscriber = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "subscriber", subscriber)  # its dataclasses need it
    spec.loader.exec_module(subscriber)
    assert subscriber.kafka_security() == {"security_protocol": "PLAINTEXT"}
    _scram_ssl_env(monkeypatch, pki, "ministry")
    monkeypatch.setenv("HUB_KAFKA_SSL_CERTFILE", str(pki.client_cert))
    monkeypatch.setenv("HUB_KAFKA_SSL_KEYFILE", str(pki.client_key))
    kwargs = subscriber.kafka_security()
    assert kwargs["sasl_plain_password"] == PASSWORD
    assert _handshake(kwargs["ssl_context"], _server_context(pki), "127.0.0.1") == "hub-connector"


# --- Faust ---------------------------------------------------------------------------------


def test_faust_ssl_credentials(pki: Pki) -> None:
    credentials = _mtls(pki).faust_credentials()
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol == AuthProtocol.SSL
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth == {"security_protocol": "SSL", "ssl_context": credentials.context}
    assert _handshake(credentials.context, _server_context(pki), "127.0.0.1") == "hub-connector"


def test_faust_sasl_ssl_scram_credentials(pki: Pki) -> None:
    credentials = _scram_ssl(pki).faust_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol == AuthProtocol.SASL_SSL
    assert credentials.mechanism == SASLMechanism.SCRAM_SHA_512
    assert isinstance(credentials.ssl_context, ssl.SSLContext)
    auth = credentials_to_aiokafka_auth(credentials)
    expected = _scram_ssl(pki).client_kwargs()
    assert auth.keys() == expected.keys()
    assert {k: v for k, v in auth.items() if k != "ssl_context"} == {
        k: v for k, v in expected.items() if k != "ssl_context"
    }


def test_faust_sasl_plaintext_plain_credentials() -> None:
    credentials = _plain().faust_credentials()
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol == AuthProtocol.SASL_PLAINTEXT
    assert credentials.mechanism == SASLMechanism.PLAIN
    assert credentials.ssl_context is None
    assert credentials_to_aiokafka_auth(credentials) == {**_plain().client_kwargs(),
                                                         "ssl_context": None}  # fmt: skip


async def test_the_hubkafka_transport_keeps_the_credentials(pki: Pki) -> None:
    """The worker consumer of ``hubkafka://`` and the app's producer carry the credentials."""
    security = _scram_ssl(pki, user="hub-crosscheck", client_cert=True)
    app = faust.App(
        "tls-unit",
        broker=f"{faust_transport.register()}://127.0.0.1:9",
        broker_credentials=security.faust_credentials(),
    )
    assert isinstance(app.transport, faust_transport.Transport)
    thread = faust_transport.ConsumerThread.__new__(faust_transport.ConsumerThread)
    thread.app = app
    thread.consumer = SimpleNamespace(in_transaction=False)
    consumer = thread._create_worker_consumer(app.transport)
    try:
        client = consumer._client
        assert consumer._fetch_max_wait_ms == faust_transport.FETCH_MAX_WAIT_MS
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-512"
        assert client._sasl_plain_password == PASSWORD
        assert client._ssl_context is app.conf.broker_credentials.ssl_context
    finally:
        await consumer.stop()
    producer = dict(app.producer._settings_auth())
    assert producer["security_protocol"] == "SASL_SSL"
    assert producer["sasl_plain_username"] == "hub-crosscheck"
    assert producer["ssl_context"] is app.conf.broker_credentials.ssl_context


# --- invalid combinations fail fast, naming the variable -------------------------------


def _broken_files(tmp: Path) -> dict[str, Path]:
    garbage = tmp / "garbage.pem"
    garbage.write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    )
    return {"garbage": garbage, "missing": tmp / "nowhere.pem", "directory": tmp}


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"SECURITY_PROTOCOL": "SSL", "SSL_CERTFILE": "client_cert"}, "HUB_KAFKA_SSL_KEYFILE"),
        ({"SECURITY_PROTOCOL": "SSL", "SSL_KEYFILE": "client_key"}, "HUB_KAFKA_SSL_CERTFILE"),
        ({"SECURITY_PROTOCOL": "SSL", "SSL_CAFILE": "missing"}, "HUB_KAFKA_SSL_CAFILE"),
        ({"SECURITY_PROTOCOL": "SSL", "SSL_CAFILE": "directory"}, "HUB_KAFKA_SSL_CAFILE"),
        ({"SECURITY_PROTOCOL": "SSL", "SSL_CAFILE": "garbage"}, "HUB_KAFKA_SSL_CAFILE"),
        (
            {"SECURITY_PROTOCOL": "SSL", "SSL_CERTFILE": "garbage", "SSL_KEYFILE": "client_key"},
            "HUB_KAFKA_SSL_CERTFILE",
        ),
        (
            {"SECURITY_PROTOCOL": "SSL", "SSL_CERTFILE": "client_cert", "SSL_KEYFILE": "garbage"},
            "HUB_KAFKA_SSL_KEYFILE",
        ),
        (
            {
                "SECURITY_PROTOCOL": "SSL",
                "SSL_CERTFILE": "client_cert",
                "SSL_KEYFILE": "server_key",
            },
            "HUB_KAFKA_SSL_KEYFILE",
        ),
        (
            {"SECURITY_PROTOCOL": "SSL", "SSL_KEY_PASSWORD": KEY_PASSWORD},
            "HUB_KAFKA_SSL_KEY_PASSWORD",
        ),
        (
            {
                "SECURITY_PROTOCOL": "SSL",
                "SSL_CERTFILE": "client_cert",
                "SSL_KEYFILE": "server_key",
                "SSL_KEY_PASSWORD": KEY_PASSWORD,
            },
            "HUB_KAFKA_SSL_KEYFILE",
        ),
        ({"SSL_CAFILE": "ca_cert"}, "HUB_KAFKA_SSL_CAFILE"),
        (
            {
                "SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "SASL_MECHANISM": "PLAIN",
                "SASL_USERNAME": "hub",
                "SASL_PASSWORD": PASSWORD,
                "SSL_CAFILE": "ca_cert",
            },
            "HUB_KAFKA_SSL_CAFILE",
        ),
        ({"SECURITY_PROTOCOL": "SSL", "SASL_PASSWORD": PASSWORD}, "HUB_KAFKA_SASL_PASSWORD"),
        ({"SASL_USERNAME": "hub"}, "HUB_KAFKA_SASL_USERNAME"),
        (
            {"SECURITY_PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "PLAIN", "SASL_USERNAME": "hub"},
            "HUB_KAFKA_SASL_PASSWORD",
        ),
        (
            {
                "SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "SASL_MECHANISM": "PLAIN",
                "SASL_PASSWORD": PASSWORD,
            },
            "HUB_KAFKA_SASL_USERNAME",
        ),
        (
            {
                "SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "SASL_USERNAME": "hub",
                "SASL_PASSWORD": PASSWORD,
            },
            "HUB_KAFKA_SASL_MECHANISM",
        ),
        ({"SECURITY_PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "GSSAPI"}, "HUB_KAFKA_SASL_MECHANISM"),
        ({"SECURITY_PROTOCOL": "TLS"}, "HUB_KAFKA_SECURITY_PROTOCOL"),
    ],
)
def test_invalid_settings_fail_fast_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, tmp_path: Path, env: dict[str, str], field: str
) -> None:
    files = {**vars(pki), **_broken_files(tmp_path)}
    for name, value in env.items():
        monkeypatch.setenv(f"HUB_KAFKA_{name}", str(files.get(value, value)))
    settings = load_settings()
    with pytest.raises(ConfigurationError) as info:
        settings.security()  # before any client is built
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert PASSWORD not in str(info.value)
    assert KEY_PASSWORD not in str(info.value)
    with pytest.raises(ConfigurationError):
        settings.producer_kwargs()


def test_direct_construction_is_checked_too(pki: Pki) -> None:
    security = KafkaSecurity(security_protocol="SSL", ssl_certfile=pki.client_cert)
    for build in (security.client_kwargs, security.faust_credentials, security.ssl_context):
        with pytest.raises(ConfigurationError, match="HUB_KAFKA_SSL_KEYFILE"):
            build()


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KAFKA_SSL_CAFILE", "")
    monkeypatch.setenv("HUB_KAFKA_SASL_PASSWORD", "")
    assert load_settings().security().client_kwargs() == {"security_protocol": "PLAINTEXT"}
    monkeypatch.setenv("HUB_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("HUB_KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("HUB_KAFKA_SASL_USERNAME", "hub")
    with pytest.raises(ConfigurationError, match="HUB_KAFKA_SASL_PASSWORD"):
        load_settings().security()


def test_an_encrypted_client_key_needs_its_password(pki: Pki, encrypted_key: Path) -> None:
    base = {"security_protocol": "SSL", "ssl_cafile": pki.ca_cert,
            "ssl_certfile": pki.client_cert, "ssl_keyfile": encrypted_key}  # fmt: skip
    context = KafkaSecurity(**base, ssl_key_password=KEY_PASSWORD).ssl_context()
    assert context is not None
    assert _handshake(context, _server_context(pki), "127.0.0.1") == "hub-connector"
    for password in (None, "wrong-password"):
        with pytest.raises(ConfigurationError) as info:
            KafkaSecurity(**base, ssl_key_password=password).client_kwargs()
        assert info.value.field == "HUB_KAFKA_SSL_KEY_PASSWORD"
        assert KEY_PASSWORD not in str(info.value)
        assert "wrong-password" not in str(info.value)


# --- secrets are never shown ---------------------------------------------------------------


def test_passwords_never_in_repr_str_or_dumps(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, encrypted_key: Path
) -> None:
    _scram_ssl_env(monkeypatch, pki, "hub-connector")
    monkeypatch.setenv("HUB_KAFKA_SSL_CERTFILE", str(pki.client_cert))
    monkeypatch.setenv("HUB_KAFKA_SSL_KEYFILE", str(encrypted_key))
    monkeypatch.setenv("HUB_KAFKA_SSL_KEY_PASSWORD", KEY_PASSWORD)
    settings: HubSettings = load_settings()
    security = settings.security()
    credentials = security.faust_credentials()
    texts = [
        repr(security),
        str(security),
        security.model_dump_json(),
        repr(security.model_dump()),
        repr(settings),
        settings.model_dump_json(),
        repr(credentials),
        str(credentials),
    ]
    for text in texts:
        assert PASSWORD not in text
        assert KEY_PASSWORD not in text
    assert security.sasl_password is not None
    assert security.sasl_password.get_secret_value() == PASSWORD


def _hub(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub.cli.main", *argv],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_password_never_in_command_output_or_logs(
    pki: Pki, tmp_path: Path, log_format: str
) -> None:
    sasl = {
        "HUB_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "HUB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "HUB_KAFKA_SASL_USERNAME": "hub-connector",
        "HUB_KAFKA_SASL_PASSWORD": PASSWORD,
        "HUB_KAFKA_SSL_CAFILE": str(pki.ca_cert),
        "HUB_STATE_DIR": str(tmp_path),
        "HUB_KAFKA_BOOTSTRAP": f"127.0.0.1:{_closed_port()}",
    }
    logging = ["--log-level", "DEBUG", "--log-format", log_format]
    unreachable = _hub([*logging, "offsets", "show", "population"], sasl)
    assert unreachable.returncode != 0  # it tried to connect, with DEBUG logs on
    invalid = _hub([*logging, "offsets", "show", "population"],
                   {**sasl, "HUB_KAFKA_SSL_CAFILE": str(tmp_path / "missing.pem")})  # fmt: skip
    assert invalid.returncode == 2
    assert "HUB_KAFKA_SSL_CAFILE" in invalid.stderr
    for run in (unreachable, invalid):
        assert PASSWORD not in run.stdout + run.stderr


# --- the embedded broker can advertise a proxy's address -----------------------------------


async def test_the_embedded_broker_advertises_another_address(broker: EmbeddedBroker) -> None:
    proxy_port = free_port()
    state = broker.start(detach=False, advertised=f"127.0.0.1:{proxy_port}")
    assert state.bootstrap == f"127.0.0.1:{proxy_port}"
    assert state.listener and state.listener != state.bootstrap
    assert broker.status() == state
    client = AIOKafkaClient(bootstrap_servers=state.listener)
    await client.bootstrap()
    try:
        brokers = [(b.host, b.port) for b in client.cluster.brokers()]
    finally:
        await client.close()
    assert brokers == [("127.0.0.1", proxy_port)]


@pytest.mark.parametrize("address", ["proxy", "127.0.0.1:", ":9093", "127.0.0.1:99999"])
def test_a_bad_advertised_address_is_refused_before_start(
    broker: EmbeddedBroker, address: str
) -> None:
    with pytest.raises(BrokerError, match="advertised"):
        broker.start(detach=False, advertised=address)
    assert broker.status() is None
