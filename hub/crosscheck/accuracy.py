"""Accuracy of verdicts against the province's ground truth, per discrepancy type.

A verdict *flags* a type when one of its rule results carries that type's signature:
the rule that reads the source showing the discrepancy, one of its findings, and an
outcome that acts on it. For most types that outcome must stop the dossier (not MATCH);
for ``address_code_reuse`` the correct answer is to see through the hazard: R5 notes the
reused old code and still answers MATCH (a MISMATCH would mean it compared bare codes).

===================  =====  =====================================  ====================
type                 rule   finding                                 outcome
===================  =====  =====================================  ====================
name_diacritics      R4     card_name_diacritics_only               REVIEW
name_mismatch        R4     card_name_mismatch                      MISMATCH
dob_mismatch         R4     card_dob_mismatch, card_dob_precision   MISMATCH, REVIEW
sex_mismatch         R1     register_sex_conflict                   REVIEW
pin_inconsistent     R2     pin_inconsistent                        REVIEW
deceased_elsewhere   R3     death_registered_elsewhere              MISMATCH
missing_from_source  R5     missing:residence                       INCONCLUSIVE
stale_record         R14    stale:residence                         INCONCLUSIVE
address_code_reuse   R5     old_code_reused                         MATCH
split_ward           R5     ambiguous_split                         REVIEW
tax_debt             R9     tax_debt                                MISMATCH
parcel_encumbered    R10    parcel_encumbered                       MISMATCH
vehicle_stolen       R12    vehicle_stolen                          MISMATCH
id_card_invalid      R4     card_expired, card_revoked, card_lost   REVIEW, MISMATCH
===================  =====  =====================================  ====================

Per type: ``injected`` is the number of manifest entries; ``recall`` the share of them
whose dossier flagged the type; ``precision`` the share of flagged dossiers whose ground
truth holds the type (household members and counterparts count: the generator's
``expected`` says which types a dossier's rules can see). ``precision`` is None when
nothing was flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hub.crosscheck.generate import GeneratedDossier
from hub.crosscheck.results import Outcome
from hub.crosscheck.verdicts import Verdict
from hub.province.discrepancies import Discrepancy
from hub.province.discrepancies import DiscrepancyType as T

__all__ = ["SIGNATURES", "AccuracyReport", "Signature", "evaluate", "flagged_types"]

_O = Outcome


@dataclass(frozen=True)
class Signature:
    """How a verdict shows one discrepancy type."""

    rule_id: str
    findings: frozenset[str]
    outcomes: frozenset[Outcome]


def _sig(rule: str, findings: tuple[str, ...], *outcomes: Outcome) -> Signature:
    return Signature(rule, frozenset(findings), frozenset(outcomes))


SIGNATURES: dict[T, Signature] = {
    T.NAME_DIACRITICS: _sig("R4", ("card_name_diacritics_only",), _O.REVIEW),
    T.NAME_MISMATCH: _sig("R4", ("card_name_mismatch",), _O.MISMATCH),
    T.DOB_MISMATCH: _sig("R4", ("card_dob_mismatch", "card_dob_precision"), _O.MISMATCH, _O.REVIEW),
    T.SEX_MISMATCH: _sig("R1", ("register_sex_conflict",), _O.REVIEW, _O.MISMATCH),
    T.PIN_INCONSISTENT: _sig("R2", ("pin_inconsistent",), _O.REVIEW),
    T.DECEASED_ELSEWHERE: _sig("R3", ("death_registered_elsewhere",), _O.MISMATCH),
    T.MISSING_FROM_SOURCE: _sig("R5", ("missing:residence",), _O.INCONCLUSIVE),
    T.STALE_RECORD: _sig("R14", ("stale:residence",), _O.INCONCLUSIVE),
    T.ADDRESS_CODE_REUSE: _sig("R5", ("old_code_reused",), _O.MATCH),
    T.SPLIT_WARD: _sig("R5", ("ambiguous_split",), _O.REVIEW),
    T.TAX_DEBT: _sig("R9", ("tax_debt",), _O.MISMATCH),
    T.PARCEL_ENCUMBERED: _sig("R10", ("parcel_encumbered",), _O.MISMATCH),
    T.VEHICLE_STOLEN: _sig("R12", ("vehicle_stolen",), _O.MISMATCH),
    T.ID_CARD_INVALID: _sig(
        "R4", ("card_expired", "card_revoked", "card_lost"), _O.REVIEW, _O.MISMATCH
    ),
}


@dataclass(frozen=True)
class _ResultView:
    outcome: Outcome
    findings: tuple[str, ...]


class VerdictView:
    """A verdict read back from its JSON (the HTTP answer or the verdicts topic).

    Args:
        data: ``Verdict.to_json()`` output.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.status = Outcome(data["status"])
        self._rules: list[dict[str, Any]] = list(data.get("rules") or [])

    def results_of(self, rule_id: str) -> list[_ResultView]:
        """The results of one rule, as :meth:`Verdict.results_of`."""
        return [
            _ResultView(Outcome(r["outcome"]), tuple(r.get("findings") or ()))
            for r in self._rules
            if r.get("rule") == rule_id
        ]


def flagged_types(verdict: Verdict | VerdictView) -> frozenset[T]:
    """The discrepancy types whose signature ``verdict`` carries."""
    found: set[T] = set()
    for kind, sig in SIGNATURES.items():
        for result in verdict.results_of(sig.rule_id):
            if result.outcome in sig.outcomes and sig.findings & set(result.findings):
                found.add(kind)
    return frozenset(found)


@dataclass
class AccuracyReport:
    """Accuracy per discrepancy type, and how honest applicants fared.

    Attributes:
        per_type: type → ``injected``, ``recall``, ``precision`` and raw counts.
        verdicts: number of verdicts by status.
        honest: number of honest dossiers, and of those answered MATCH.
        skipped: manifest entries no dossier could show, by reason.
    """

    per_type: dict[str, dict[str, Any]]
    verdicts: dict[str, int]
    honest: dict[str, int]
    skipped: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (``accuracy`` as ``hub demo`` prints it)."""
        return {
            "accuracy": self.per_type,
            "verdicts": self.verdicts,
            "honest": self.honest,
            "skipped": self.skipped,
        }


def evaluate(
    pairs: Iterable[tuple[GeneratedDossier, Verdict | VerdictView]],
    manifest: Iterable[Discrepancy],
    skipped: dict[str, int] | None = None,
) -> AccuracyReport:
    """Compare verdicts with the ground truth.

    Args:
        pairs: each generated dossier with its verdict.
        manifest: the province's manifest (``injected`` counts).
        skipped: the generator's skipped entries, reported as they are.
    """
    injected = Counter(entry.type for entry in manifest)
    true_pos: Counter[T] = Counter()
    false_pos: Counter[T] = Counter()
    detected: Counter[T] = Counter()
    statuses: Counter[str] = Counter()
    honest = Counter[str]()
    for generated, verdict in pairs:
        statuses[verdict.status.value] += 1
        flags = flagged_types(verdict)
        for kind in flags:
            (true_pos if kind in generated.expected else false_pos)[kind] += 1
        if generated.entry is not None and generated.entry.type in flags:
            detected[generated.entry.type] += 1
        if generated.entry is None and not generated.expected:
            honest["dossiers"] += 1
            honest["match"] += verdict.status is Outcome.MATCH
    per_type: dict[str, dict[str, Any]] = {}
    for kind in T:
        flagged = true_pos[kind] + false_pos[kind]
        per_type[kind.value] = {
            "injected": injected[kind],
            "detected": detected[kind],
            "recall": round(detected[kind] / injected[kind], 4) if injected[kind] else None,
            "precision": round(true_pos[kind] / flagged, 4) if flagged else None,
            "false_positives": false_pos[kind],
        }
    return AccuracyReport(per_type, dict(statuses), dict(honest), dict(skipped or {}))
