"""Helpers the rules share: reading canonical values, building results, comparing people."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from hub.crosscheck.evidence import SourceRecord
from hub.crosscheck.results import Outcome, RuleResult, worst
from hub.errors import NormaliseError
from hub.normalise.address import CanonicalAddress, CodeSystem
from hub.normalise.admin_units import MappingStatus
from hub.normalise.dates import PartialDate
from hub.normalise.names import NameComparison, compare_names

_EPOCH = date(1970, 1, 1)


def partial(value: Any) -> PartialDate | None:
    """A canonical ``{iso, precision}`` value as a :class:`PartialDate` (None if absent)."""
    if not isinstance(value, dict) or not isinstance(value.get("iso"), str):
        return None
    try:
        return PartialDate.from_iso(value["iso"])
    except NormaliseError:
        return None


def as_date(value: Any) -> date | None:
    """A canonical date: a ``date`` (fastavro), ISO text, or days since the epoch."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int):
        return _EPOCH + timedelta(days=value)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def first_day(value: PartialDate) -> date:
    """The earliest day a partial date may stand for."""
    return date(value.year, value.month or 1, value.day or 1)


def last_day(value: PartialDate) -> date:
    """The latest day a partial date may stand for."""
    if value.day is not None and value.month is not None:
        return date(value.year, value.month, value.day)
    if value.month is not None:
        following = date(value.year + value.month // 12, value.month % 12 + 1, 1)
        return following - timedelta(days=1)
    return date(value.year, 12, 31)


def address(value: Any) -> CanonicalAddress | None:
    """A canonical address dict as a :class:`CanonicalAddress` (None if absent)."""
    if not isinstance(value, dict):
        return None
    return CanonicalAddress(
        raw=str(value.get("raw", "")),
        code_system=CodeSystem(value["code_system"]),
        as_of=str(value.get("as_of", "")),
        province_code=value.get("province_code"),
        district_code=value.get("district_code"),
        ward_code=value.get("ward_code"),
        province_code_2025=value.get("province_code_2025"),
        ward_code_2025=value.get("ward_code_2025"),
        ward_name_2025=value.get("ward_name_2025"),
        mapping=MappingStatus(value["mapping"]),
        candidates_2025=tuple(value.get("candidates_2025") or ()),
    )


class Findings:
    """Collects the parts of one rule's answer, then builds the :class:`RuleResult`."""

    def __init__(self, rule_id: str, subject: str) -> None:
        self.rule_id = rule_id
        self.subject = subject
        self.parts: list[tuple[Outcome, str, str]] = []
        self.records: list[SourceRecord] = []
        self.confirmed: list[str] = []
        self.notes: list[str] = []

    def cite(self, *records: SourceRecord | None) -> None:
        """Cite the records that are not None."""
        self.records.extend(r for r in records if r is not None)

    def add(self, outcome: Outcome, finding: str, reason: str) -> None:
        """Record a problem (or, with MATCH, a note) with its finding code and reason."""
        self.parts.append((outcome, finding, reason))

    def confirm(self, *fields: str) -> None:
        """Declared fields a source confirmed."""
        self.confirmed.extend(fields)

    def result(self, ok_reason: str) -> RuleResult:
        """The rule's result: the worst outcome, every reason, or ``ok_reason``."""
        outcome = worst(o for o, _, _ in self.parts)
        reasons = [r for _, _, r in self.parts if r]
        reason = " ".join(reasons) if reasons else ok_reason
        if outcome is Outcome.MATCH and reasons:
            reason = f"{ok_reason} {reason}"
        return RuleResult(
            self.rule_id,
            self.subject,
            outcome,
            reason,
            tuple(dict.fromkeys(r.citation() for r in self.records)),
            tuple(dict.fromkeys(self.confirmed)),
            tuple(dict.fromkeys(f for _, f, _ in self.parts)),
        )


def missing(rule_id: str, subject: str, source: str, what: str) -> RuleResult:
    """INCONCLUSIVE: a mandatory source holds no record (fail closed)."""
    return RuleResult(
        rule_id,
        subject,
        Outcome.INCONCLUSIVE,
        f"{source} holds no {what}: a mandatory source lacks the record, so the dossier "
        "cannot be approved on this data.",
        findings=(f"missing:{source}",),
    )


def name_outcome(declared: str, registered: str) -> NameComparison:
    """Compare names; a blank side counts as a mismatch."""
    try:
        return compare_names(declared, registered)
    except NormaliseError:
        return NameComparison.MISMATCH


def compare_name(
    found: Findings, field: str, declared: str, registered: Any, source: str, prefix: str = ""
) -> None:
    """Add the name comparison of ``declared`` with a register's name to ``found``."""
    result = name_outcome(declared, str(registered or ""))
    if result is NameComparison.MATCH:
        found.confirm(field)
    elif result is NameComparison.DIACRITICS_ONLY:
        found.add(
            Outcome.REVIEW,
            f"{prefix}name_diacritics_only",
            f"The name differs from {source} only in diacritics or tone: a human decides.",
        )
    else:
        found.add(Outcome.MISMATCH, f"{prefix}name_mismatch", f"The name differs from {source}.")


def pin_year(pin: str) -> int | None:
    """The birth year a PIN encodes (None for a malformed PIN)."""
    if len(pin) != 12 or not pin.isdigit():
        return None
    return 1900 + 100 * (int(pin[3]) // 2) + int(pin[4:6])


def outcomes(results: Iterable[RuleResult]) -> Outcome:
    """The worst outcome of several results."""
    return worst(r.outcome for r in results)
