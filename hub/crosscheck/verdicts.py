"""Verdicts: the rules' results combined into one status, with citations.

Precedence (the first that applies):

1. **INCONCLUSIVE** when any rule is INCONCLUSIVE. Rules answer INCONCLUSIVE only for a
   mandatory source (a missing record, an unavailable source, a stale record: R14), so
   missing data is never outweighed: a verdict never approves, and never finally
   rejects, on data the hub does not hold. The other rules' outcomes stay visible.
2. **MISMATCH** when any rule is a MISMATCH (a contradiction or a blocking condition).
3. **REVIEW** when any rule needs a human (diacritics-only names, ambiguous split wards,
   unlinkable licences, registers that disagree with each other, expired cards).
4. **MATCH** otherwise.

A verdict cites every source record any rule used (source, entity, key, source version,
as-of time), once, and lists the declared fields confirmed from connected sources (R15).
:meth:`Verdict.to_json` is what the verdicts topic and the HTTP answer carry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.crosscheck.dossier import Dossier, Procedure
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.procedures import mandatory_sources, run_rules
from hub.crosscheck.results import Citation, Outcome, RuleResult, worst
from hub.crosscheck.rules.freshness import FreshnessPolicy, check_freshness
from hub.crosscheck.rules.once_only import check_once_only

__all__ = ["Verdict", "check_dossier", "combine"]


def combine(results: Iterable[RuleResult]) -> Outcome:
    """The overall status of a dossier's rule results (see the module's precedence)."""
    return worst(r.outcome for r in results)


@dataclass(frozen=True)
class Verdict:
    """The answer to one dossier.

    Attributes:
        dossier_id: the dossier's id.
        procedure: its procedure.
        officer: the officer who asked.
        status: the overall outcome.
        checked_at: the reference time of the checks.
        results: every rule result, R14 and R15 last.
    """

    dossier_id: str
    procedure: Procedure
    officer: str
    status: Outcome
    checked_at: datetime
    results: tuple[RuleResult, ...]

    @property
    def citations(self) -> tuple[Citation, ...]:
        """Every source record used, once, in order of first use."""
        return tuple(dict.fromkeys(c for r in self.results for c in r.citations))

    @property
    def confirmed_fields(self) -> tuple[str, ...]:
        """Declared fields confirmed from connected sources (R15)."""
        return tuple(sorted({f for r in self.results for f in r.confirmed}))

    def results_of(self, rule_id: str) -> list[RuleResult]:
        """The results of one rule (several when it ran for several people)."""
        return [r for r in self.results if r.rule_id == rule_id]

    def to_json(self) -> dict[str, Any]:
        """The verdict as JSON."""
        return {
            "dossier_id": self.dossier_id,
            "procedure": self.procedure.value,
            "officer": self.officer,
            "status": self.status.value,
            "checked_at": self.checked_at.isoformat(),
            "rules": [r.to_json() for r in self.results],
            "citations": [c.to_json() for c in self.citations],
            "confirmed_fields": list(self.confirmed_fields),
        }


def check_dossier(
    dossier: Dossier,
    evidence: Evidence,
    policy: FreshnessPolicy | None = None,
    at: datetime | None = None,
) -> Verdict:
    """Run the dossier's procedure, then R14 and R15, and combine.

    Args:
        dossier: a validated dossier.
        evidence: the lookups (in-memory, or the Faust tables).
        policy: freshness TTLs; the defaults when None.
        at: the reference time; the dossier's submission time when None.
    """
    at = at or dossier.submitted_at
    results = run_rules(dossier, evidence)
    results.append(check_freshness(results, evidence, mandatory_sources(dossier), at, policy))
    results.append(check_once_only(results))
    return Verdict(
        dossier.dossier_id, dossier.procedure, dossier.officer, combine(results), at,
        tuple(results),
    )  # fmt: skip
