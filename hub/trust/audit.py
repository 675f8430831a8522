"""The tamper-evident audit log: entries, their hash chain, signed checkpoints.

Every cross-check access is an entry; entries are hash-chained per *writer* (one chain
per worker start) and sealed by Ed25519-signed checkpoints. An entry is one JSON object,
stored as its canonical serialisation (UTF-8, keys sorted, no spaces)::

    {"v": 1, "kind": "access", "writer": "crosscheck@host:6066#5f1c9a0e2b7d",
     "seq": 7, "at": "2026-03-01T08:00:00.000+00:00", "prev": "<hash of seq 6>",
     "body": {...}, "hash": "<SHA-256 of this object without 'hash'>"}

Kinds and bodies:

* ``policy`` (the first entry of every chain: "policy activated"): ``consumer``,
  ``policy_hash``, ``policy_version``. A policy change is a worker restart, so it starts
  a chain and is logged.
* ``access`` (one per dossier answered or refused): ``officer``, ``procedure``,
  ``dossier_id``, ``status`` (the verdict's, or ``REFUSED`` with the refused ``field``),
  ``subjects`` (the identifiers looked up), ``reads`` (``[{source, entity, fields}]``)
  and ``policy`` (the policy hash). No names, dates or values: the log holds no more
  personal data than subject identifiers.
* ``checkpoint``: ``sealed`` (entries before it), ``closing`` (written at a clean stop),
  ``key_id`` and ``signature``: base64url Ed25519, by the ``crosscheck`` principal's
  key, over ``b"hub-audit-checkpoint-v1\\n"`` + the canonical entry without ``hash``
  and without ``body.signature``. Since the entry holds ``prev``, a checkpoint commits to
  the whole chain before it: rewriting history means forging a signature.

The first entry of a chain has ``seq`` 0 and ``prev`` of 64 zeros. :class:`AuditChain`
builds a chain (one writer, in order); a checkpoint follows every ``checkpoint_every``
other entries, :meth:`AuditChain.seal` adds one when the writer says it is time (the
cross-check worker seals within a minute of an entry), and the closing one ends the
chain. Verification is in :mod:`hub.trust.audit_verify`, the Kafka side in
:mod:`hub.trust.audit_log`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.trust.keys import SigningKey

__all__ = [
    "AUDIT_PRINCIPAL",
    "GENESIS",
    "AccessEntry",
    "AuditChain",
    "canonical",
    "checkpoint_input",
    "entry_hash",
]

#: The principal whose key signs checkpoints.
AUDIT_PRINCIPAL = "crosscheck"
#: ``prev`` of the first entry of a chain.
GENESIS = "0" * 64
FORMAT = 1
_DOMAIN = b"hub-audit-checkpoint-v1\n"


def canonical(entry: dict[str, Any]) -> bytes:
    """The canonical serialisation of an entry (what is stored and hashed)."""
    text = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)  # fmt: skip
    return text.encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical entry without its ``hash``."""
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def checkpoint_input(entry: dict[str, Any]) -> bytes:
    """What a checkpoint's signature covers (see the module docstring)."""
    body = {k: v for k, v in entry["body"].items() if k != "signature"}
    unsigned = {k: v for k, v in entry.items() if k != "hash"} | {"body": body}
    return _DOMAIN + canonical(unsigned)


@dataclass(frozen=True)
class AccessEntry:
    """One access as the audit log records it.

    Attributes:
        officer: the officer the request named (None when a refusal lacked it).
        procedure: the procedure (None when a refusal lacked a known one).
        dossier_id: the dossier id (None when a refusal lacked it).
        status: the verdict status, or ``REFUSED``.
        subjects: identifiers looked up (none for a refusal).
        reads: ``[{source, entity, fields}]`` (:meth:`hub.trust.access.AccessLog.to_json`).
        policy: the active policy's hash.
        field: for a refusal, the field that was missing or invalid.
    """

    officer: str | None
    procedure: str | None
    dossier_id: str | None
    status: str
    subjects: Sequence[str] = ()
    reads: Sequence[dict[str, Any]] = ()
    policy: str | None = None
    field: str | None = None

    def body(self) -> dict[str, Any]:
        """The entry body."""
        body = {
            "officer": self.officer, "procedure": self.procedure,
            "dossier_id": self.dossier_id, "status": self.status,
            "subjects": sorted(set(self.subjects)), "reads": list(self.reads),
            "policy": self.policy,
        }  # fmt: skip
        if self.field is not None:
            body["field"] = self.field
        return body


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class AuditChain:
    """Builds one writer's chain; each method returns the serialised entries to append.

    Not thread-safe and not re-entrant: the caller appends the returned entries in order
    before building the next (:class:`hub.trust.audit_log.AuditWriter` holds a lock).

    Args:
        writer: the writer id (unique per worker start).
        key: the signing key of :data:`AUDIT_PRINCIPAL`.
        checkpoint_every: a checkpoint after this many other entries.
        clock: the time of an entry (ISO 8601); UTC now by default.
    """

    def __init__(
        self,
        writer: str,
        key: SigningKey,
        checkpoint_every: int = 100,
        clock: Callable[[], str] = _now,
    ) -> None:
        if checkpoint_every < 1:
            raise ValueError("checkpoint_every must be at least 1")
        self.writer, self._key, self._every, self._clock = writer, key, checkpoint_every, clock
        self.seq = 0
        self.head = GENESIS
        self._since_checkpoint = 0
        self.closed = False

    def _entry(self, kind: str, body: dict[str, Any]) -> bytes:
        entry: dict[str, Any] = {
            "v": FORMAT, "kind": kind, "writer": self.writer, "seq": self.seq,
            "at": self._clock(), "prev": self.head, "body": body,
        }  # fmt: skip
        if kind == "checkpoint":
            signature = self._key.sign(checkpoint_input(entry))
            body["signature"] = base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
        entry["hash"] = entry_hash(entry)
        self.seq += 1
        self.head = entry["hash"]
        return canonical(entry)

    def _append(self, kind: str, body: dict[str, Any]) -> list[bytes]:
        if self.closed:
            raise RuntimeError("the audit chain is closed")
        out = [self._entry(kind, body)]
        self._since_checkpoint += 1
        if self._since_checkpoint >= self._every:
            out.append(self._checkpoint(closing=False))
        return out

    def _checkpoint(self, *, closing: bool) -> bytes:
        self._since_checkpoint = 0
        body = {"sealed": self.seq, "closing": closing, "key_id": self._key.key_id}
        return self._entry("checkpoint", body)

    def policy(self, consumer: str, policy_hash: str, policy_version: str) -> list[bytes]:
        """The "policy activated" entry (the first of a chain)."""
        body = {"consumer": consumer, "policy_hash": policy_hash,
                "policy_version": policy_version}  # fmt: skip
        return self._append("policy", body)

    def access(self, access: AccessEntry) -> list[bytes]:
        """An access entry (and a checkpoint when one is due)."""
        return self._append("access", access.body())

    @property
    def unsealed(self) -> int:
        """Entries since the last checkpoint."""
        return self._since_checkpoint

    def seal(self) -> list[bytes]:
        """A checkpoint now, when an entry awaits one (else nothing)."""
        if self.closed or not self._since_checkpoint:
            return []
        return [self._checkpoint(closing=False)]

    def close(self) -> list[bytes]:
        """The closing checkpoint; the chain takes no more entries."""
        if self.closed:
            return []
        self.closed = True
        return [self._checkpoint(closing=True)]
