"""What a rule answers: an outcome, a reason, the records it cited, the fields it confirmed.

Reasons are for the officer and the audit log: they say what disagreed and which source
said so, never a PIN or another identifier of a person (the citations carry the keys).
``findings`` are short machine-readable codes (``name_diacritics_only``,
``missing:residence``) that the accuracy measurement and dashboards count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Citation", "Outcome", "RuleResult", "worst"]


class Outcome(StrEnum):
    """The outcome of one rule, or of a whole verdict."""

    MATCH = "MATCH"
    """The declaration agrees with the connected sources."""
    MISMATCH = "MISMATCH"
    """A source contradicts the declaration, or a blocking condition holds."""
    REVIEW = "REVIEW"
    """A human must decide (diacritics-only names, ambiguous split wards, unlinkable
    licences, registers that disagree with each other)."""
    INCONCLUSIVE = "INCONCLUSIVE"
    """A mandatory source has no record, or only a stale one: never approve."""


#: Precedence when outcomes are combined (higher wins); see :mod:`.verdicts`.
SEVERITY = {
    Outcome.MATCH: 0,
    Outcome.REVIEW: 1,
    Outcome.MISMATCH: 2,
    Outcome.INCONCLUSIVE: 3,
}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome of highest precedence (MATCH for none)."""
    return max(outcomes, key=SEVERITY.__getitem__, default=Outcome.MATCH)


@dataclass(frozen=True, slots=True)
class Citation:
    """One source record a rule used.

    Attributes:
        source: the connector (source system) name.
        entity: the canonical entity (``citizen``, ``residence``...).
        key: the record's key (a PIN, plate, parcel id...).
        source_version: the source's version of the record.
        as_of: when the source last changed the record (UTC).
    """

    source: str
    entity: str
    key: str
    source_version: str
    as_of: datetime

    def to_json(self) -> dict[str, str]:
        """The citation as JSON."""
        return {
            "source": self.source,
            "entity": self.entity,
            "key": self.key,
            "source_version": self.source_version,
            "as_of": self.as_of.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The answer of one rule about one subject of a dossier.

    Attributes:
        rule_id: ``R1`` .. ``R15``.
        subject: the role checked (``applicant``, ``mother``, ``founders[1]``), never an
            identifier.
        outcome: MATCH, MISMATCH, REVIEW or INCONCLUSIVE.
        reason: one or more sentences for the officer; no identifiers of people.
        citations: the source records used.
        confirmed: declared fields (dotted paths) that a connected source confirmed.
        findings: machine-readable codes of what was found.
    """

    rule_id: str
    subject: str
    outcome: Outcome
    reason: str
    citations: tuple[Citation, ...] = ()
    confirmed: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The result as JSON."""
        return {
            "rule": self.rule_id,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "findings": list(self.findings),
            "citations": [c.to_json() for c in self.citations],
            "confirmed": list(self.confirmed),
        }
