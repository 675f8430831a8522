"""A TLS-terminating proxy and a throwaway PKI, for proving the hub's TLS end to end.

The embedded broker's own TLS does not work in the build we ship, so the TLS tests put
:class:`TLSProxy` in front of it: the proxy accepts TLS on loopback, requires a client
certificate signed by the test CA (mutual TLS), and forwards the decrypted bytes both
ways to the broker's plain port. The broker advertises the proxy's address, so every
connection a client makes after bootstrap goes through the proxy as well.

:func:`make_pki` mints the CA, a server certificate for ``127.0.0.1`` and ``localhost``
(subject alternative names) and a client certificate, with the ``cryptography`` package.
Nothing here is for production use.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HANDSHAKE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Pki:
    """Paths of the throwaway CA, server and client certificates and keys (PEM)."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    #: A second CA that signed nothing the proxy trusts (a stranger's CA).
    other_ca_cert: Path
    #: A client certificate signed by the other CA (the proxy must refuse it).
    stranger_cert: Path
    stranger_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hub test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    subject: str,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``subject``: self-signed when ``issuer`` is None."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name, issuer_key = issuer if issuer is not None else (_name(subject), key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if server:
        names: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def make_pki(directory: Path) -> Pki:
    """Mint a CA, a server certificate (127.0.0.1, localhost) and client certificates."""
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def save(stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        files[f"{stem}_cert"] = directory / f"{stem}.crt"
        files[f"{stem}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files[f"{stem}_key"] = directory / f"{stem}.key"
        _write_key(key, files[f"{stem}_key"])

    ca_cert, ca_key = _issue("hub test CA", None, ca=True)
    save("ca", ca_cert, ca_key)
    issuer = (ca_cert.subject, ca_key)
    save("server", *_issue("127.0.0.1", issuer, server=True))
    save("client", *_issue("hub-connector", issuer))
    other_cert, other_key = _issue("stranger CA", None, ca=True)
    save("other_ca", other_cert, other_key)
    save("stranger", *_issue("stranger", (other_cert.subject, other_key)))
    return Pki(
        ca_cert=files["ca_cert"],
        ca_key=files["ca_key"],
        server_cert=files["server_cert"],
        server_key=files["server_key"],
        client_cert=files["client_cert"],
        client_key=files["client_key"],
        other_ca_cert=files["other_ca_cert"],
        stranger_cert=files["stranger_cert"],
        stranger_key=files["stranger_key"],
    )


def issue_client(pki: Pki, common_name: str) -> tuple[Path, Path]:
    """Another client certificate from the test CA: ``(certificate, key)`` paths."""
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    cert, key = _issue(common_name, (ca_cert.subject, ca_key))
    cert_path = pki.ca_cert.parent / f"{common_name}.crt"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = pki.ca_cert.parent / f"{common_name}.key"
    _write_key(key, key_path)
    return cert_path, key_path


@dataclass
class ProxyStats:
    """What the proxy saw; read from any thread (updates are under the proxy's lock)."""

    #: Completed TLS handshakes, by the client certificate's common name.
    handshakes: Counter[str] = field(default_factory=Counter)
    #: Connections whose handshake failed (no client certificate, untrusted, plaintext).
    refused: int = 0
    #: Why handshakes failed (OpenSSL reason codes, e.g. PEER_DID_NOT_RETURN_A_CERTIFICATE).
    refusals: Counter[str] = field(default_factory=Counter)
    #: Bytes forwarded from clients to the broker, after decryption.
    bytes_up: int = 0

    @property
    def completed(self) -> int:
        """Every completed handshake."""
        return sum(self.handshakes.values())


class TLSProxy:
    """Terminate mutual TLS on ``127.0.0.1`` and forward to ``upstream`` in plain TCP.

    It runs its own event loop in a daemon thread, so that clients in the test's loop,
    in Faust's consumer thread and in subprocesses all reach it alike.

    Args:
        pki: the server certificate and key, and the CA that client certificates need.
        upstream_port: the broker's plain listener on ``127.0.0.1``.
    """

    def __init__(self, pki: Pki, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.stats = ProxyStats()
        self.port = 0
        self._lock = threading.Lock()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki.ca_cert)
        self._context.load_cert_chain(pki.server_cert, pki.server_key)
        self._context.verify_mode = ssl.CERT_REQUIRED  # a client certificate is mandatory
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        """``127.0.0.1:port`` to bootstrap from (and for the broker to advertise)."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> TLSProxy:
        """Listen on a free port; return self once listening."""
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        """Close the listener and every forwarded connection; end the thread."""
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _listen(self) -> asyncio.Server:
        # Plain TCP first, then start_tls: a failed handshake is seen (and counted) here.
        return await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handshake_and_forward(reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _handshake_and_forward(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await writer.start_tls(self._context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT_S)
        except (ssl.SSLError, ConnectionError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            with self._lock:
                self.stats.refused += 1
                self.stats.refusals[str(reason)] += 1
            return
        peer = writer.get_extra_info("peercert") or {}
        common_name = next(
            (value for rdn in peer.get("subject", ()) for key, value in rdn if key == "commonName"),
            "?",
        )
        with self._lock:
            self.stats.handshakes[common_name] += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, count=True), self._pump(up_reader, writer)
            )
        finally:
            up_writer.close()
            with contextlib.suppress(Exception):
                await up_writer.wait_closed()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, count: bool = False
    ) -> None:
        try:
            while chunk := await source.read(65536):
                if count:
                    with self._lock:
                        self.stats.bytes_up += len(chunk)
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                if sink.can_write_eof():
                    sink.write_eof()
                else:
                    sink.close()
