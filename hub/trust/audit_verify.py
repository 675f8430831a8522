"""Checking the audit log, and answering a data subject's "who looked at my data?".

:func:`verify` takes the audit topic's records in (partition, offset) order and
recomputes every chain (:mod:`hub.trust.audit`). Each record must be, in this order:

1. a readable entry (UTF-8 JSON object with the fields of its kind);
2. byte for byte its own canonical serialisation (so no byte can change unseen);
3. hashed as it says (``hash`` = SHA-256 of the rest);
4. keyed by its writer (the Kafka key keeps a chain in one partition, in order);
5. the next of its writer's chain: ``seq`` one more than the previous entry's, ``prev``
   the previous entry's hash, the first at ``seq`` 0 after :data:`~hub.trust.audit.GENESIS`,
   nothing after a closing checkpoint;
6. for a checkpoint: signed by a trusted key of the ``crosscheck`` principal, over
   exactly what :func:`~hub.trust.audit.checkpoint_input` covers, sealing all before it.

A record failing a check is a *broken link*, reported with its partition, offset, writer
and sequence (when readable) and why; checking goes on from it (the chain resumes at
the entry's own ``seq`` and ``hash``), so one altered entry is one break and the first
break is where the log was tampered with. Entries after a chain's last checkpoint are
*unsealed*: intact as a chain, but a truncation of that tail cannot be told from a
worker that stopped without its closing checkpoint (see ``docs/security.md``).

:func:`who_accessed` lists the access entries naming a subject identifier.
:class:`ChainVerifier` and :func:`access_naming` do the same one record at a time, so a
reader of the topic holds only the chains' summaries and the accesses it keeps.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.trust.audit import AUDIT_PRINCIPAL, GENESIS, canonical, checkpoint_input, entry_hash
from hub.trust.keys import PublicKey

__all__ = [
    "Break",
    "ChainSummary",
    "ChainVerifier",
    "StoredEntry",
    "Verification",
    "access_naming",
    "oldest_first",
    "verify",
    "who_accessed",
]

_HEADER = {"v": int, "kind": str, "writer": str, "seq": int, "at": str, "prev": str,
           "body": dict, "hash": str}  # fmt: skip
_BODY = {
    "policy": ("consumer", "policy_hash", "policy_version"),
    "access": ("officer", "procedure", "dossier_id", "status", "subjects", "reads"),
    "checkpoint": ("sealed", "closing", "key_id", "signature"),
}


@dataclass(frozen=True)
class StoredEntry:
    """One record of the audit topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class Break:
    """A broken link of the audit log."""

    partition: int
    offset: int
    writer: str | None
    seq: int | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The break as JSON."""
        return asdict(self)


@dataclass
class ChainSummary:
    """One writer's chain as verified."""

    writer: str
    entries: int = 0
    accesses: int = 0
    checkpoints: int = 0
    sealed: int = 0
    closed: bool = False
    first_at: str | None = None
    last_at: str | None = None
    policy_hash: str | None = None
    next_seq: int = 0
    head: str = GENESIS

    def to_json(self) -> dict[str, Any]:
        """The chain as JSON (without the running state)."""
        out = asdict(self)
        del out["next_seq"], out["head"]
        out["unsealed"] = self.entries - self.sealed
        return out


@dataclass
class Verification:
    """The result of :func:`verify`."""

    records: int = 0
    chains: dict[str, ChainSummary] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether no link is broken."""
        return not self.breaks

    def to_json(self) -> dict[str, Any]:
        """The verification as JSON."""
        return {
            "intact": self.intact,
            "records": self.records,
            "first_break": self.breaks[0].to_json() if self.breaks else None,
            "breaks": len(self.breaks),
            "chains": [c.to_json() for _, c in sorted(self.chains.items())],
        }


def _parse(value: bytes | None) -> tuple[dict[str, Any] | None, str | None]:
    """The entry, or why it is unreadable or not canonical."""
    try:
        entry = json.loads((value or b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, "not a JSON entry"
    if not isinstance(entry, dict):
        return None, "not a JSON object"
    for name, kind in _HEADER.items():
        if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
            return None, f"field {name!r} is missing or not a {kind.__name__}"
    missing = [n for n in _BODY.get(entry["kind"], ("?",)) if n not in entry["body"]]
    if missing:
        return None, f"{entry['kind']!r} entry lacks {', '.join(missing)}"
    if entry["kind"] == "access" and not isinstance(entry["body"]["subjects"], list):
        return None, "an access entry's subjects are not a list"
    if canonical(entry) != value:
        return entry, "not in canonical form (its bytes were altered)"
    return entry, None


def _signature_problem(entry: dict[str, Any], trusted: Mapping[str, PublicKey]) -> str | None:
    body = entry["body"]
    key = trusted.get(str(body["key_id"]))
    if key is None:
        return f"checkpoint signed by an untrusted key {body['key_id']!r}"
    if key.principal != AUDIT_PRINCIPAL:
        return f"checkpoint signed by {key.principal!r}, not {AUDIT_PRINCIPAL!r}"
    encoded = str(body["signature"])
    try:
        signature = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return "checkpoint signature is not base64url"
    if len(signature) != 64 or not key.verifies(signature, checkpoint_input(entry)):
        return "checkpoint signature does not verify"
    if body["sealed"] != entry["seq"]:
        return f"checkpoint seals {body['sealed']} entries but is entry {entry['seq']}"
    return None


def _link_problem(entry: dict[str, Any], chain: ChainSummary, key: bytes | None) -> str | None:
    if entry_hash(entry) != entry["hash"]:
        return "hash does not match the entry (it was altered)"
    if key != entry["writer"].encode():
        return "the record's key is not the entry's writer"
    if chain.closed:
        return "entry after the chain's closing checkpoint"
    if entry["seq"] != chain.next_seq:
        return (f"sequence {entry['seq']} where {chain.next_seq} was expected (an entry is "
                "missing, repeated or out of order)")  # fmt: skip
    if entry["prev"] != chain.head:
        return "prev is not the hash of the chain's previous entry"
    return None


def verify(records: Iterable[StoredEntry], trusted: Mapping[str, PublicKey]) -> Verification:
    """Recompute every chain and checkpoint of the audit log (see the module docstring)."""
    verifier = ChainVerifier(trusted)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        verifier.add(record)
    return verifier.result()


class ChainVerifier:
    """:func:`verify`, one record at a time, holding only each chain's summary.

    Give it the records partition by partition, each in offset order
    (:func:`hub.trust.audit_log.iter_audit` reads them so), and its result is exactly
    :func:`verify`'s. A chain lives in one partition (its writer is the key), so for an
    intact log the order across partitions changes nothing, and an entry copied into
    another partition is a break in any order; but which record is reported as the break
    then depends on the order.

    Args:
        trusted: the public keys checkpoints may be signed with.
    """

    def __init__(self, trusted: Mapping[str, PublicKey]) -> None:
        self._trusted = trusted
        self._out = Verification()

    def result(self) -> Verification:
        """The verification of the records added so far."""
        self._out.breaks.sort(key=lambda b: (b.partition, b.offset))
        return self._out

    def add(self, record: StoredEntry) -> None:
        """Check one record against its writer's chain."""
        out, trusted = self._out, self._trusted
        out.records += 1
        entry, problem = _parse(record.value)
        if entry is None:
            out.breaks.append(Break(record.partition, record.offset, None, None,
                                    problem or "unreadable"))  # fmt: skip
            return
        writer, seq = entry["writer"], entry["seq"]
        chain = out.chains.setdefault(writer, ChainSummary(writer))
        problem = problem or _link_problem(entry, chain, record.key)
        if problem is None and entry["kind"] == "checkpoint":
            problem = _signature_problem(entry, trusted)
        if problem:
            out.breaks.append(Break(record.partition, record.offset, writer, seq, problem))
        elif entry["kind"] == "checkpoint":
            chain.checkpoints += 1
            chain.sealed = seq + 1
            chain.closed = bool(entry["body"]["closing"])
        chain.entries += 1
        chain.accesses += entry["kind"] == "access"
        if entry["kind"] == "policy":
            chain.policy_hash = str(entry["body"]["policy_hash"])
        chain.first_at = chain.first_at or entry["at"]
        chain.last_at = entry["at"]
        chain.next_seq, chain.head = seq + 1, entry["hash"]


def who_accessed(records: Iterable[StoredEntry], subject: str) -> list[dict[str, Any]]:
    """Every readable access entry whose subjects include ``subject``, oldest first."""
    return oldest_first(a for r in records if (a := access_naming(r, subject)) is not None)


def oldest_first(accesses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accesses (from :func:`access_naming`) in time order, then by writer and sequence."""
    return sorted(accesses, key=lambda e: (str(e["at"]), e["writer"], e["seq"]))


def access_naming(record: StoredEntry, subject: str) -> dict[str, Any] | None:
    """The access ``record`` holds when it is a readable access entry naming ``subject``."""
    entry, _ = _parse(record.value)
    if entry is None or entry["kind"] != "access":
        return None
    body = entry["body"]
    if subject not in body["subjects"]:
        return None
    return {
        "at": entry["at"], "officer": body["officer"], "procedure": body["procedure"],
        "dossier_id": body["dossier_id"], "status": body["status"],
        "reads": body["reads"], "writer": entry["writer"], "seq": entry["seq"],
    }  # fmt: skip
