"""Record signatures: what they cover, batch signing at the connector, verifying at consumers.

A connector signs the records it publishes with its source's key
(:class:`~hub.trust.keys.SigningKey`), one Ed25519 signature per group of up to
:data:`MAX_BATCH` consecutive records, over the root of a Merkle tree of the group
(:mod:`hub.trust.merkle`); each record carries the path from its leaf to that root, so
that it can be verified alone (a consumer of a compacted topic may see one record of a
group). A record's leaf is SHA-256 of ``0x00`` and its signing input, which is, in this
order, each part length-prefixed (4 bytes, big-endian) so that no two different records
share an input::

    b"hub-record-sig-v2"
    key              the Kafka key (the subject's identifier); empty for none
    value            the exact Avro bytes of the payload; a tombstone signs a marker
    hub.message_id   \
    hub.source        | the headers that identify the record
    hub.schema        |
    hub.source_version/

The group's signature is Ed25519 over the 48 bytes ``b"hub-batch-sig-v2" + root``. The
signature (the same for every record of the group), the key id and the record's path
travel in the ``hub.signature``, ``hub.key_id`` and ``hub.signature_path`` headers
(signature and path base64url without padding). A verifier refuses a record whose
signature headers are missing, whose key id it does not trust, whose key belongs to
another principal than the record's ``hub.source``, or whose path and signature do not
lead to a valid signature of a root. The topic and partition are not signed, so a record
stays valid when mirrored to another cluster or prefix.
"""

from __future__ import annotations

import binascii
import struct
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType

from hub.connect import headers as h
from hub.trust import merkle
from hub.trust.keys import PublicKey, SigningKey

__all__ = [
    "BATCH_DOMAIN",
    "MAX_BATCH",
    "SIGNED_HEADERS",
    "RecordSigner",
    "RecordVerifier",
    "Refusal",
    "SigningItem",
    "leaf_of",
    "record_input",
    "signing_input",
]

#: Headers covered by the signature, in signing order.
SIGNED_HEADERS = (h.MESSAGE_ID, h.SOURCE, h.SCHEMA, h.SOURCE_VERSION)
#: The most records one signature covers (a tree of depth 6).
MAX_BATCH = 64
#: What the Ed25519 signature covers, before the 32-byte root (16 ASCII bytes).
BATCH_DOMAIN = b"hub-batch-sig-v2"

#: A record to sign: Kafka key, value (None for a tombstone), its headers (appended to).
SigningItem = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]

_DOMAIN = b"hub-record-sig-v2"
_TOMBSTONE = b"\x00tombstone"
_LENGTH = struct.Struct(">I").pack
_DOMAIN_PART = _LENGTH(len(_DOMAIN)) + _DOMAIN
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class Refusal(StrEnum):
    """Why a consumer refused a record (a metric label: a closed set)."""

    MISSING_SIGNATURE = "missing_signature"
    UNKNOWN_KEY = "unknown_key"
    WRONG_SOURCE = "wrong_source"
    BAD_SIGNATURE = "bad_signature"

    def describe(self) -> str:
        """A sentence for the dead letter's reason header."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Refusal.MISSING_SIGNATURE: "record has no hub.signature, hub.key_id or "
    "hub.signature_path header",
    Refusal.UNKNOWN_KEY: "record is signed with a key id this consumer does not trust",
    Refusal.WRONG_SOURCE: "record is signed with a key of another principal than hub.source",
    Refusal.BAD_SIGNATURE: "signature does not match the record's bytes",
}


def signing_input(key: bytes | None, value: bytes | None, headers: Mapping[str, bytes]) -> bytes:
    """The bytes a record's leaf covers (see the module docstring)."""
    message_id, source, schema, version = (headers.get(name) or b"" for name in SIGNED_HEADERS)
    return record_input(key, value, message_id, source, schema, version)


def record_input(
    key: bytes | None,
    value: bytes | None,
    message_id: bytes,
    source: bytes,
    schema: bytes,
    version: bytes,
) -> bytes:
    """:func:`signing_input` from the signed headers' values themselves (empty: absent)."""
    key = key or b""
    value = _TOMBSTONE if value is None else value
    return b"".join((
        _DOMAIN_PART,
        _LENGTH(len(key)), key,
        _LENGTH(len(value)), value,
        _LENGTH(len(message_id)), message_id,
        _LENGTH(len(source)), source,
        _LENGTH(len(schema)), schema,
        _LENGTH(len(version)), version,
    ))  # fmt: skip


def leaf_of(key: bytes | None, value: bytes | None, headers: Mapping[str, bytes]) -> bytes:
    """The record's Merkle leaf: SHA-256(0x00 || signing input)."""
    return merkle.leaf_hash(signing_input(key, value, headers))


def _b64(data: bytes) -> bytes:
    """base64url without padding."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _unb64(text: bytes) -> bytes | None:
    """The bytes of canonical base64url without padding; None for anything else."""
    try:
        data = binascii.a2b_base64(text.translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None  # one text per value: no lenient decoding


class RecordSigner:
    """Signs records with one principal's key, one signature per group of records.

    Args:
        key: the signing key (the source's, whose name the records carry in hub.source).
    """

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self._key_id = key.key_id.encode()

    @property
    def key_id(self) -> str:
        """The id of the key in use."""
        return self.key.key_id

    def sign_batch(self, items: Sequence[SigningItem]) -> None:
        """Sign ``items``, appending ``hub.signature``, ``hub.key_id`` and
        ``hub.signature_path`` to each one's headers list, in place.

        The items are split into consecutive groups of at most :data:`MAX_BATCH`, one
        signature each. The signed headers must be in the lists already.
        """
        self.sign_leaves(
            [leaf_of(key, value, dict(headers)) for key, value, headers in items],
            [headers for _, _, headers in items],
        )

    def sign_leaves(
        self, leaves: Sequence[bytes], headers: Sequence[list[tuple[str, bytes]]]
    ) -> None:
        """:meth:`sign_batch` for records whose leaves are known already (computed with
        :func:`record_input` where the record was built): ``headers[i]`` is the list of
        the record whose leaf is ``leaves[i]``.

        Raises:
            ValueError: not as many header lists as leaves.
        """
        if len(leaves) != len(headers):
            raise ValueError(f"{len(leaves)} leaves for {len(headers)} records")
        key_id = (h.KEY_ID, self._key_id)
        for start in range(0, len(leaves), MAX_BATCH):
            root, paths = merkle.tree(leaves[start : start + MAX_BATCH])
            signature = (h.SIGNATURE, _b64(self.key.sign(BATCH_DOMAIN + root)))
            for record_headers, path in zip(headers[start : start + MAX_BATCH], paths, strict=True):
                record_headers.extend((signature, key_id, (h.SIGNATURE_PATH, _b64(path))))


class RecordVerifier:
    """Checks records against a set of trusted public keys.

    Args:
        trusted: trusted keys by key id (:meth:`~hub.trust.keys.KeyStore.trusted_keys`).
        cache: how many verified group signatures to remember.

    Each record is checked alone: its leaf and path lead to a root, whose signature is
    checked with Ed25519 (about 110 µs) unless this verifier has already verified that
    very (key id, root, signature): the other records of a group then cost only their
    hashing (6 to 8 µs). Only successful verifications are remembered, the least recently
    used first forgotten. The cryptography package holds the GIL while it verifies, so
    threads do not verify in parallel.
    """

    def __init__(self, trusted: Mapping[str, PublicKey], *, cache: int = 4096) -> None:
        self._trusted = dict(trusted)
        self._cache_size = max(0, cache)
        self._verified: OrderedDict[tuple[str, bytes, bytes], None] = OrderedDict()

    @property
    def trusted(self) -> Mapping[str, PublicKey]:
        """The trusted keys, by key id (fixed for the verifier's life)."""
        return MappingProxyType(self._trusted)

    def check(
        self, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]
    ) -> Refusal | None:
        """None when the record is authentic; otherwise why it is refused."""
        found = dict(headers)
        encoded, key_id = found.get(h.SIGNATURE), found.get(h.KEY_ID)
        encoded_path = found.get(h.SIGNATURE_PATH)
        if not encoded or not key_id or encoded_path is None:
            return Refusal.MISSING_SIGNATURE
        name = key_id.decode("utf-8", "replace")
        public = self._trusted.get(name)
        if public is None:
            return Refusal.UNKNOWN_KEY
        if (found.get(h.SOURCE) or b"").decode("utf-8", "replace") != public.principal:
            return Refusal.WRONG_SOURCE
        path = _unb64(encoded_path)
        if path is None:
            return Refusal.BAD_SIGNATURE
        root = merkle.root_of_path(leaf_of(key, value, found), path)
        if root is None:
            return Refusal.BAD_SIGNATURE
        return self._checked_root(name, public, root, encoded)

    def _checked_root(
        self, key_id: str, public: PublicKey, root: bytes, encoded: bytes
    ) -> Refusal | None:
        """Whether ``encoded`` (the signature's text) is ``public``'s signature of ``root``."""
        entry = (key_id, root, encoded)
        verified = self._verified
        try:
            verified.move_to_end(entry)  # this very signature of this root verified before
            return None
        except KeyError:
            pass
        signature = _unb64(encoded)
        if signature is None or len(signature) != 64:
            return Refusal.BAD_SIGNATURE
        if not public.verifies(signature, BATCH_DOMAIN + root):
            return Refusal.BAD_SIGNATURE
        if self._cache_size:
            verified[entry] = None
            while len(verified) > self._cache_size:
                try:
                    verified.popitem(last=False)
                except KeyError:  # emptied by another thread meanwhile
                    break
        return None
