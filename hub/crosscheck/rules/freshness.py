"""R14: freshness, a cross-cutting check: fail closed on unavailable or stale sources.

It runs after the other rules of a dossier and looks at what they cited. A mandatory
source of the procedure from which nothing has arrived is *unavailable*; a cited record
of a mandatory source whose update time is older than that source's TTL on the reference
day is *stale*. Either gives INCONCLUSIVE: never approve on missing or stale data.
Records of optional sources (corroboration) are not held to a TTL.

TTLs are per source and configurable. The defaults [verify] hold registers of changing
facts (residence, population, cards, land, vehicles, tax, insurance, enterprises) to two
years and registers of events (civil status, judicial records, degrees, licences) to
none; a TTL of None means "no limit".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Citation, Outcome, RuleResult

__all__ = ["DEFAULT_TTL", "FreshnessPolicy", "check_freshness"]

_TWO_YEARS = timedelta(days=730)
#: Default time-to-live of a source's records [verify]; absent sources have no limit.
DEFAULT_TTL: dict[str, timedelta | None] = {
    "population": _TWO_YEARS,
    "residence": _TWO_YEARS,
    "identity_cards": _TWO_YEARS,
    "land": _TWO_YEARS,
    "vehicles": _TWO_YEARS,
    "tax": _TWO_YEARS,
    "health_insurance": _TWO_YEARS,
    "business_registration": _TWO_YEARS,
    "civil_status": None,
    "judicial": None,
    "degrees": None,
    "driving_licences": None,
}


@dataclass(frozen=True)
class FreshnessPolicy:
    """How old a mandatory source's record may be.

    Attributes:
        ttl: per source, the largest accepted age of a record (None: no limit).
        default: the TTL of a source not named in ``ttl``.
    """

    ttl: Mapping[str, timedelta | None] = field(default_factory=lambda: dict(DEFAULT_TTL))
    default: timedelta | None = None

    def ttl_of(self, source: str) -> timedelta | None:
        """The TTL of ``source``."""
        return self.ttl.get(source, self.default)


def check_freshness(
    results: Iterable[RuleResult],
    evidence: Evidence,
    mandatory: Iterable[str],
    at: datetime,
    policy: FreshnessPolicy | None = None,
) -> RuleResult:
    """R14 over the results of the other rules of one dossier.

    Args:
        results: what the other rules answered (their citations are inspected).
        evidence: asked whether each mandatory source has delivered anything.
        mandatory: the procedure's mandatory sources.
        at: the reference time (the dossier's submission, or the check time).
        policy: the TTLs; :data:`DEFAULT_TTL` when None.
    """
    policy = policy or FreshnessPolicy()
    required = sorted(set(mandatory))
    findings: list[str] = []
    reasons: list[str] = []
    for source in required:
        if evidence.source_seen(source) is None:
            findings.append(f"unavailable:{source}")
            reasons.append(f"No data has arrived from {source}, a mandatory source.")
    stale: dict[str, list[Citation]] = {}
    for result in results:
        for cited in result.citations:
            ttl = policy.ttl_of(cited.source)
            if cited.source in required and ttl is not None and at - cited.as_of > ttl:
                stale.setdefault(cited.source, []).append(cited)
    for source in stale:
        ttl = policy.ttl_of(source)
        days = ttl.days if ttl else 0
        findings.append(f"stale:{source}")
        reasons.append(
            f"The {source} record used was last updated more than {days} days before the "
            "reference time: too old to approve on."
        )
    citations = tuple(dict.fromkeys(c for group in stale.values() for c in group))
    if findings:
        return RuleResult("R14", "dossier", Outcome.INCONCLUSIVE, " ".join(reasons),
                          citations, (), tuple(findings))  # fmt: skip
    return RuleResult(
        "R14", "dossier", Outcome.MATCH,
        f"Every mandatory source ({', '.join(required)}) is available and fresh.",
    )  # fmt: skip
