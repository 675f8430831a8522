"""Record signatures: what they cover, signing at the connector, verifying at consumers.

A connector signs every record it publishes with its source's key
(:class:`~hub.trust.keys.SigningKey`). The signature covers, in this order, each
length-prefixed so that no two different records share an input::

    b"hub-record-sig-v1"
    key              the Kafka key (the subject's identifier); empty for none
    value            the exact Avro bytes of the payload; a tombstone signs a marker
    hub.message_id   \
    hub.source        | the headers that identify the record
    hub.schema        |
    hub.source_version/

Signature (base64url, no padding) and key id travel in the ``hub.signature`` and
``hub.key_id`` headers. A verifier refuses a record whose signature is missing, whose key
id it does not trust, whose key belongs to another principal than the record's
``hub.source``, or whose signature does not match. The topic and partition are not
signed, so a record stays valid when mirrored to another cluster or prefix.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable, Mapping
from enum import StrEnum

from hub.connect import headers as h
from hub.trust.keys import PublicKey, SigningKey

__all__ = [
    "SIGNED_HEADERS",
    "RecordSigner",
    "RecordVerifier",
    "Refusal",
    "signing_input",
]

#: Headers covered by the signature, in signing order.
SIGNED_HEADERS = (h.MESSAGE_ID, h.SOURCE, h.SCHEMA, h.SOURCE_VERSION)

_DOMAIN = b"hub-record-sig-v1"
_TOMBSTONE = b"\x00tombstone"
_LENGTH = struct.Struct(">I")


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
    Refusal.MISSING_SIGNATURE: "record has no hub.signature or hub.key_id header",
    Refusal.UNKNOWN_KEY: "record is signed with a key id this consumer does not trust",
    Refusal.WRONG_SOURCE: "record is signed with a key of another principal than hub.source",
    Refusal.BAD_SIGNATURE: "signature does not match the record's bytes",
}


def signing_input(key: bytes | None, value: bytes | None, headers: Mapping[str, bytes]) -> bytes:
    """The bytes a record's signature covers (see the module docstring)."""
    parts = [_DOMAIN, key or b"", _TOMBSTONE if value is None else value]
    parts.extend(headers.get(name, b"") for name in SIGNED_HEADERS)
    return b"".join(_LENGTH.pack(len(part)) + part for part in parts)


def _header_map(headers: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    return dict(headers)


class RecordSigner:
    """Signs records with one principal's key.

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

    def signature_headers(
        self, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]
    ) -> list[tuple[str, bytes]]:
        """The ``hub.signature`` and ``hub.key_id`` headers to append to a record."""
        signature = self.key.sign(signing_input(key, value, _header_map(headers)))
        return [(h.SIGNATURE, base64.urlsafe_b64encode(signature).rstrip(b"=")),
                (h.KEY_ID, self._key_id)]  # fmt: skip


class RecordVerifier:
    """Checks records against a set of trusted public keys.

    Args:
        trusted: trusted keys by key id (:meth:`~hub.trust.keys.KeyStore.trusted_keys`).

    :meth:`check` releases the GIL for the Ed25519 arithmetic, so a consumer may verify
    in a thread pool while its event loop decodes.
    """

    def __init__(self, trusted: Mapping[str, PublicKey]) -> None:
        self.trusted = dict(trusted)

    def check(
        self, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]]
    ) -> Refusal | None:
        """None when the record is authentic; otherwise why it is refused."""
        found = _header_map(headers)
        encoded, key_id = found.get(h.SIGNATURE), found.get(h.KEY_ID)
        if not encoded or not key_id:
            return Refusal.MISSING_SIGNATURE
        public = self.trusted.get(key_id.decode("utf-8", "replace"))
        if public is None:
            return Refusal.UNKNOWN_KEY
        if found.get(h.SOURCE, b"").decode("utf-8", "replace") != public.principal:
            return Refusal.WRONG_SOURCE
        try:
            signature = base64.urlsafe_b64decode(encoded + b"=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            return Refusal.BAD_SIGNATURE
        if len(signature) != 64 or not public.verifies(signature, signing_input(key, value, found)):
            return Refusal.BAD_SIGNATURE
        return None
