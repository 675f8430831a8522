"""Enforcing the access policy: the evidence one dossier's rules see, and what they read.

:class:`PolicyEvidence` wraps the worker's :class:`~hub.crosscheck.evidence.Evidence` for
one dossier with the grants of its procedure (:meth:`AccessPolicy.grants_for
<hub.trust.policy.AccessPolicy.grants_for>`) and records every read in an
:class:`AccessLog`, which becomes the dossier's audit entry. Decisions:

* **Projection**: a record is handed to the rules with a value holding only the granted
  fields (:class:`~hub.trust.projection.GrantedValue`); key, version and update time (the
  provenance a verdict cites) are kept. A field that is not granted is not copied, so no
  rule, reason or citation can carry it.
* **A source with no grant at all** for the procedure is not connected as far as the
  rules know: its lookups answer None (or ``[]``) without being asked and
  ``source_seen`` answers None. Only optional sources can be left out this way; the
  policy check refuses a policy that hides a mandatory one.
* **A field or entity the rules need but the grant lacks** (a policy that is too narrow
  for a granted source) raises :class:`NotEntitled` from the lookup or the field access.
  Reading it as absent would turn "not granted" into "no conviction", "not stolen".
  :func:`check_with_policy` catches it and answers an INCONCLUSIVE verdict with one
  ``POLICY`` result naming the source, entity and field (no other results, no
  citations): the dossier is not approved on a partial check, the service keeps going,
  and the operator sees which grant is missing.
* **What is recorded**: per (source, entity) looked up, the fields actually read (none
  for a mere existence check), and the *subjects*: the identifiers the rules looked
  records up by (PINs; a plate, parcel id, enterprise code or licence number), hits and
  misses alike, since "no record" is information about a person.
  With ``grants=None`` every field is visible and reads are only recorded: that is how
  ``deploy/policy.toml`` is derived (``tools/derive_policy.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from hub.crosscheck.dossier import Dossier
from hub.crosscheck.evidence import Evidence, SourceRecord
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.verdicts import Verdict, check_dossier
from hub.trust.projection import AccessLog, GrantedValue, NotEntitled

__all__ = [
    "AccessLog",
    "GrantedValue",
    "NotEntitled",
    "PolicyEvidence",
    "check_with_policy",
    "not_entitled_verdict",
]


class PolicyEvidence:
    """:class:`~hub.crosscheck.evidence.Evidence` seen through one procedure's grants.

    Args:
        evidence: the worker's evidence.
        grants: (source, entity) → granted fields; None grants everything (measurement).
        log: where reads are recorded.
    """

    def __init__(
        self,
        evidence: Evidence,
        grants: Mapping[tuple[str, str], frozenset[str]] | None,
        log: AccessLog,
    ) -> None:
        self._evidence, self._grants, self.log = evidence, grants, log
        self._sources = None if grants is None else {s for s, _ in grants}

    def _allowed(self, source: str, entity: str) -> tuple[bool, frozenset[str] | None]:
        """(whether the source is visible at all, the granted fields or None for all)."""
        if self._grants is None:
            return True, None
        if self._sources is not None and source not in self._sources:
            return False, frozenset()
        allowed = self._grants.get((source, entity))
        if allowed is None:
            raise NotEntitled(source, entity)
        return True, allowed

    def _project(self, record: SourceRecord, allowed: frozenset[str] | None) -> SourceRecord:
        value = GrantedValue(record.value, allowed, (record.source, record.entity), self.log)
        return SourceRecord(record.source, record.entity, record.key, value,
                            record.source_version, record.updated_at)  # fmt: skip

    def _one(
        self, source: str, entity: str, subject: str, fetch: Callable[[str], SourceRecord | None]
    ) -> SourceRecord | None:
        visible, allowed = self._allowed(source, entity)
        if not visible:
            return None
        self.log.looked_up(source, entity, subject)
        record = fetch(subject)
        return None if record is None else self._project(record, allowed)

    def _many(
        self, source: str, entity: str, subject: str, fetch: Callable[[str], list[SourceRecord]]
    ) -> list[SourceRecord]:
        visible, allowed = self._allowed(source, entity)
        if not visible:
            return []
        self.log.looked_up(source, entity, subject)
        return [self._project(r, allowed) for r in fetch(subject)]

    def citizen(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("population", "citizen", pin, self._evidence.citizen)

    def household(self, household_id: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("population", "household", household_id, self._evidence.household)

    def identity_card(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("identity_cards", "identity_card", pin, self._evidence.identity_card)

    def residence(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("residence", "residence", pin, self._evidence.residence)

    def death(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("civil_status", "death", pin, self._evidence.death)

    def birth(self, child_pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("civil_status", "birth", child_pin, self._evidence.birth)

    def marriages_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._many("civil_status", "marriage", pin, self._evidence.marriages_of)

    def judicial(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("judicial", "judicial_record", pin, self._evidence.judicial)

    def enterprise(self, code: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("business_registration", "enterprise", code, self._evidence.enterprise)

    def tax_account(self, code_or_pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("tax", "tax_account", code_or_pin, self._evidence.tax_account)

    def parcel(self, parcel_id: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("land", "parcel", parcel_id, self._evidence.parcel)

    def parcels_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._many("land", "parcel", pin, self._evidence.parcels_of)

    def vehicle(self, plate: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("vehicles", "vehicle", plate, self._evidence.vehicle)

    def licence(self, number: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("driving_licences", "driving_licence", number, self._evidence.licence)

    def licences_of(self, pin: str) -> list[SourceRecord]:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._many("driving_licences", "driving_licence", pin, self._evidence.licences_of)

    def health_insurance(self, pin: str) -> SourceRecord | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`."""
        return self._one("health_insurance", "health_insurance_card", pin,
                         self._evidence.health_insurance)  # fmt: skip

    def source_seen(self, source: str) -> datetime | None:
        """See :class:`~hub.crosscheck.evidence.Evidence`; None for a hidden source."""
        if self._sources is not None and source not in self._sources:
            return None
        return self._evidence.source_seen(source)


def not_entitled_verdict(dossier: Dossier, denied: NotEntitled) -> Verdict:
    """The INCONCLUSIVE verdict of a dossier whose rules needed ``denied``."""
    result = RuleResult(
        "POLICY",
        "dossier",
        Outcome.INCONCLUSIVE,
        f"The checks need {denied.place}, which the access policy does not grant for "
        f"{dossier.procedure.value}: the dossier cannot be checked until the policy does.",
        findings=(f"not_entitled:{denied.place}",),
    )
    return Verdict(dossier.dossier_id, dossier.procedure, dossier.officer,
                   Outcome.INCONCLUSIVE, dossier.submitted_at, (result,))  # fmt: skip


def check_with_policy(
    dossier: Dossier,
    evidence: Evidence,
    grants: Mapping[tuple[str, str], frozenset[str]] | None,
) -> tuple[Verdict, AccessLog]:
    """Check ``dossier`` seeing only ``grants``; the verdict and what was read.

    A :class:`NotEntitled` read gives :func:`not_entitled_verdict` (see the module).
    """
    log = AccessLog()
    try:
        verdict = check_dossier(dossier, PolicyEvidence(evidence, grants, log))
    except NotEntitled as denied:
        verdict = not_entitled_verdict(dossier, denied)
    return verdict, log
