"""Ed25519 key pairs of the hub's principals, in files or in the environment.

A *principal* is who signs: a source connector (``population``) or a hub service
(``crosscheck``, which seals the audit log). A key is named by its **key id**,
``<principal>.<fingerprint>``, the fingerprint being the first 16 hex digits of the
SHA-256 of the raw public key, so a key id says whose key it is and cannot be confused
with another key.

Layout of the keys directory (``HUB_TRUST_KEYS_DIR``)::

    population.3f9a0c1d2e4b5a69.key    private key, PKCS#8 PEM, mode 0600
    population.3f9a0c1d2e4b5a69.pub    public key, SubjectPublicKeyInfo PEM

Rotation: ``hub keys generate population`` adds a new pair; the newest private key of a
principal signs from then on, while every public key left in the directory still
verifies what older keys signed. Removing a ``.pub`` file revokes that key. A process
that must not hold key files reads its private key from ``HUB_TRUST_KEY_<PRINCIPAL>``
(the PEM text, or the base64 of the 32-byte raw private key), which then wins over the
directory. Private key material never appears in logs, errors or ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.errors import ConfigurationError

__all__ = [
    "KeyPair",
    "KeyStore",
    "PublicKey",
    "SigningKey",
    "env_variable",
    "generate_key_pair",
    "key_id_of",
]

log = logging.getLogger(__name__)

_PRINCIPAL = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KEY_FILE = re.compile(
    r"^(?P<principal>[a-z][a-z0-9_]{0,63})\.(?P<fp>[0-9a-f]{16})\.(?P<kind>key|pub)$"
)


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(principal: str, public: Ed25519PublicKey) -> str:
    """The key id of ``public`` for ``principal``: ``<principal>.<16 hex of SHA-256>``."""
    return f"{principal}.{hashlib.sha256(_raw_public(public)).hexdigest()[:16]}"


def env_variable(principal: str) -> str:
    """The environment variable that may carry ``principal``'s private key."""
    return f"HUB_TRUST_KEY_{principal.upper()}"


def check_principal(principal: str) -> str:
    """Return ``principal`` if it is a valid name (lower case, digits, underscores).

    Raises:
        ConfigurationError: naming the principal.
    """
    if not _PRINCIPAL.match(principal):
        raise ConfigurationError(
            "must be lower-case letters, digits and underscores, starting with a letter",
            field=f"principal {principal!r}",
        )
    return principal


@dataclass(frozen=True)
class PublicKey:
    """A trusted public key: whose it is and how to check a signature with it."""

    key_id: str
    principal: str
    key: Ed25519PublicKey = field(repr=False)

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``data``."""
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SigningKey:
    """A principal's private key. Its ``repr`` shows the key id only."""

    key_id: str
    principal: str
    key: Ed25519PrivateKey = field(repr=False)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self.key.sign(data)

    def public(self) -> PublicKey:
        """The matching public key."""
        return PublicKey(self.key_id, self.principal, self.key.public_key())


@dataclass(frozen=True)
class KeyPair:
    """Where :func:`generate_key_pair` wrote a new pair."""

    key_id: str
    private_path: Path
    public_path: Path


def generate_key_pair(principal: str, directory: Path) -> KeyPair:
    """Make a new Ed25519 pair for ``principal`` in ``directory`` (private file 0600)."""
    check_principal(principal)
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    key_id = key_id_of(principal, private.public_key())
    private_path = directory / f"{key_id}.key"
    public_path = directory / f"{key_id}.pub"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    log.info("generated key %s", key_id)
    return KeyPair(key_id, private_path, public_path)


def _load_private(text: bytes, where: str) -> Ed25519PrivateKey:
    """Parse a PEM private key or the base64 of a raw 32-byte one; errors name ``where``."""
    try:
        if text.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_private_key(text, password=None)
        else:
            raw = base64.b64decode(text.strip(), validate=True)
            key = Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise ConfigurationError("is not an Ed25519 private key", field=where) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("is not an Ed25519 private key", field=where)
    return key


class KeyStore:
    """The keys directory (and environment) of one process.

    Args:
        directory: the keys directory; it may not exist (then only the environment counts).
        environ: where ``HUB_TRUST_KEY_<PRINCIPAL>`` is looked up (``os.environ``).
    """

    def __init__(self, directory: Path, environ: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self._environ = os.environ if environ is None else environ

    def _files(self, kind: str) -> Iterator[tuple[re.Match[str], Path]]:
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            match = _KEY_FILE.match(path.name)
            if match and match["kind"] == kind:
                yield match, path

    def signing_key(self, principal: str) -> SigningKey:
        """The key ``principal`` signs with now: from the environment, else its newest file.

        Raises:
            ConfigurationError: when there is none, or it cannot be read; the message
                names the variable or file, never the key material.
        """
        variable = env_variable(check_principal(principal))
        text = self._environ.get(variable)
        if text:
            private = _load_private(text.encode(), variable)
            return SigningKey(key_id_of(principal, private.public_key()), principal, private)
        found = [(p.stat().st_mtime_ns, p.name, p) for m, p in self._files("key")
                 if m["principal"] == principal]  # fmt: skip
        if not found:
            raise ConfigurationError(
                f"no signing key for {principal!r} in {self.directory} "
                f"(run `hub keys generate {principal}`, or set {variable})",
                field="HUB_TRUST_KEYS_DIR",
            )
        path = max(found)[2]
        private = _load_private(path.read_bytes(), str(path))
        key_id = key_id_of(principal, private.public_key())
        if path.name != f"{key_id}.key":
            raise ConfigurationError("file name does not match the key it holds", field=str(path))
        return SigningKey(key_id, principal, private)

    def trusted_keys(self) -> dict[str, PublicKey]:
        """Every public key in the directory, by key id (a name that lies is skipped)."""
        trusted: dict[str, PublicKey] = {}
        for match, path in self._files("pub"):
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except ValueError:
                log.warning("unreadable public key file skipped: %s", path.name)
                continue
            if not isinstance(key, Ed25519PublicKey):
                log.warning("not an Ed25519 public key, skipped: %s", path.name)
                continue
            key_id = key_id_of(match["principal"], key)
            if path.name != f"{key_id}.pub":
                log.warning("public key file name does not match its key, skipped: %s", path.name)
                continue
            trusted[key_id] = PublicKey(key_id, match["principal"], key)
        return trusted

    def principals(self) -> dict[str, list[str]]:
        """Key ids per principal found in the directory (public keys), sorted."""
        out: dict[str, list[str]] = {}
        for key_id, key in sorted(self.trusted_keys().items()):
            out.setdefault(key.principal, []).append(key_id)
        return out
