"""The evidence the rules read: one lookup per canonical entity, and an in-memory store.

:class:`Evidence` is the collaborator every rule calls (a Protocol: the rules only call
it). Lookups return a :class:`SourceRecord`, the decoded canonical record with its
provenance, or None when the hub holds no record. Absence means different things per
source, and the rules decide: no judicial record means "never convicted", no residence
record means "mandatory data missing".

:class:`InMemoryEvidence` is fed with canonical records (the values the mappers produce,
or what a consumer decodes from a canonical topic). Delivery is at-least-once and a key's
records may arrive out of order across restarts, so it keeps, per key, the record of the
highest source version (ties broken by update time) and ignores older ones and
duplicates; a deletion (value None) is remembered as a versioned tombstone so that an
older record cannot resurrect the key. The Faust tables implement the same Protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hub.connect.records import CanonicalRecord
from hub.crosscheck.results import Citation

__all__ = ["Evidence", "InMemoryEvidence", "SourceRecord", "version_order"]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A decoded canonical record with its provenance.

    Attributes:
        source: connector name (``population``).
        entity: canonical entity (``citizen``).
        key: the record key.
        value: the canonical record as a dict (Avro-decoded form).
        source_version: the source's version of the record.
        updated_at: when the source last changed it (UTC).
    """

    source: str
    entity: str
    key: str
    value: dict[str, Any]
    source_version: str
    updated_at: datetime

    def citation(self) -> Citation:
        """The record as a verdict cites it."""
        return Citation(self.source, self.entity, self.key, self.source_version, self.updated_at)


class Evidence(Protocol):
    """Lookups of the latest canonical record per subject.

    Implementations must return the record of the highest source version they have seen
    for the key, must not block for long (a Faust table lookup, a dict lookup), and must
    not raise for an unknown key: they return None (or an empty list).
    """

    def citizen(self, pin: str) -> SourceRecord | None:
        """Population: the citizen with this PIN."""

    def household(self, household_id: str) -> SourceRecord | None:
        """Population: the household."""

    def identity_card(self, pin: str) -> SourceRecord | None:
        """Identity cards: the card of this PIN."""

    def residence(self, pin: str) -> SourceRecord | None:
        """Residence: the current (or last, if cancelled by death) registration."""

    def death(self, pin: str) -> SourceRecord | None:
        """Civil status: the death registration of this PIN."""

    def birth(self, child_pin: str) -> SourceRecord | None:
        """Civil status: the birth registration of this child."""

    def marriages_of(self, pin: str) -> list[SourceRecord]:
        """Civil status: marriage registrations where this PIN is a spouse."""

    def judicial(self, pin: str) -> SourceRecord | None:
        """Judicial records: the record of this PIN (None: never convicted)."""

    def enterprise(self, code: str) -> SourceRecord | None:
        """Business registration: the enterprise."""

    def tax_account(self, code_or_pin: str) -> SourceRecord | None:
        """Tax: the account of an enterprise code or an individual's PIN."""

    def parcel(self, parcel_id: str) -> SourceRecord | None:
        """Land: the parcel."""

    def parcels_of(self, pin: str) -> list[SourceRecord]:
        """Land: parcels this PIN co-owns."""

    def vehicle(self, plate: str) -> SourceRecord | None:
        """Vehicles: the vehicle with this canonical plate."""

    def licence(self, number: str) -> SourceRecord | None:
        """Driving licences: the licence with this number."""

    def licences_of(self, pin: str) -> list[SourceRecord]:
        """Driving licences: licences linked to this PIN (paper licences never are)."""

    def health_insurance(self, pin: str) -> SourceRecord | None:
        """Health insurance: the card of this PIN."""

    def source_seen(self, source: str) -> datetime | None:
        """The newest update time seen from ``source``; None when nothing arrived."""


def version_order(version: str, updated_at: datetime) -> tuple[int, int, str, datetime]:
    """Sort key of a record version: numeric versions numerically, then update time."""
    if version.isascii() and version.isdigit():
        return (1, int(version), "", updated_at)
    return (0, 0, version, updated_at)


#: Secondary indexes: entity → the PINs a record is found under.
_INDEXES: dict[str, Callable[[dict[str, Any]], Iterable[str]]] = {
    "marriage": lambda v: (v["husband_pin"], v["wife_pin"]),
    "parcel": lambda v: (o["pin"] for o in v["owners"]),
    "driving_licence": lambda v: (v["holder_pin"],) if v.get("holder_pin") else (),
}


@dataclass(slots=True)
class _Held:
    order: tuple[int, int, str, datetime]
    record: SourceRecord | None  # None: a tombstone


class InMemoryEvidence:
    """Evidence held in dictionaries, fed with canonical records (see the module doc)."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, _Held]] = {}
        self._index: dict[str, dict[str, set[str]]] = {e: {} for e in _INDEXES}
        self._seen: dict[str, datetime] = {}

    def sizes(self) -> dict[str, int]:
        """Keys held per entity (tombstones excluded)."""
        return {e: sum(1 for h in by_key.values() if h.record) for e, by_key in self._held.items()}

    def __len__(self) -> int:
        return sum(1 for by_key in self._held.values() for h in by_key.values() if h.record)

    def add(
        self,
        source: str,
        entity: str,
        key: str,
        value: dict[str, Any] | None,
        source_version: str,
        updated_at: datetime,
    ) -> bool:
        """Offer one record (value None: a deletion). Return whether it was kept.

        A record is kept only if its (version, update time) is newer than what is held
        for the key, so duplicates and late older versions change nothing.
        """
        order = version_order(source_version, updated_at)
        by_key = self._held.setdefault(entity, {})
        held = by_key.get(key)
        if held is not None and order <= held.order:
            return False
        self.mark_seen(source, updated_at)
        record = None
        if value is not None:
            record = SourceRecord(source, entity, key, value, source_version, updated_at)
        self._reindex(entity, key, held.record if held else None, record)
        by_key[key] = _Held(order, record)
        return True

    def mark_seen(self, source: str, at: datetime) -> None:
        """Record that ``source`` delivered data up to ``at`` (e.g. a caught-up sync
        whose records all predate it), so R14 counts it available."""
        if source not in self._seen or at > self._seen[source]:
            self._seen[source] = at

    def add_canonical(self, source: str, record: CanonicalRecord) -> bool:
        """Offer a mapper's (or a decoded topic's) canonical record."""
        return self.add(
            source, record.entity, record.key, record.value, record.source_version,
            record.updated_at,
        )  # fmt: skip

    def _reindex(
        self, entity: str, key: str, old: SourceRecord | None, new: SourceRecord | None
    ) -> None:
        index_of = _INDEXES.get(entity)
        if index_of is None:
            return
        index = self._index[entity]
        for pin in index_of(old.value) if old else ():
            index.get(pin, set()).discard(key)
        for pin in index_of(new.value) if new else ():
            index.setdefault(pin, set()).add(key)

    def _get(self, entity: str, key: str) -> SourceRecord | None:
        held = self._held.get(entity, {}).get(key)
        return held.record if held else None

    def _by_index(self, entity: str, pin: str) -> list[SourceRecord]:
        keys = sorted(self._index[entity].get(pin, ()))
        return [r for k in keys if (r := self._get(entity, k)) is not None]

    def citizen(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("citizen", pin)

    def household(self, household_id: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("household", household_id)

    def identity_card(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("identity_card", pin)

    def residence(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("residence", pin)

    def death(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("death", pin)

    def birth(self, child_pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("birth", child_pin)

    def marriages_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`Evidence`."""
        return self._by_index("marriage", pin)

    def judicial(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("judicial_record", pin)

    def enterprise(self, code: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("enterprise", code)

    def tax_account(self, code_or_pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("tax_account", code_or_pin)

    def parcel(self, parcel_id: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("parcel", parcel_id)

    def parcels_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`Evidence`."""
        return self._by_index("parcel", pin)

    def vehicle(self, plate: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("vehicle", plate)

    def licence(self, number: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("driving_licence", number)

    def licences_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`Evidence`."""
        return self._by_index("driving_licence", pin)

    def health_insurance(self, pin: str) -> SourceRecord | None:
        """See :class:`Evidence`."""
        return self._get("health_insurance_card", pin)

    def source_seen(self, source: str) -> datetime | None:
        """See :class:`Evidence`."""
        return self._seen.get(source)
