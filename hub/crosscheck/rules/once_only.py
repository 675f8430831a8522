"""R15: once-only: which declared fields the connected sources confirmed.

The citizen is not asked for paper copies of what a connected source already confirms.
The rule never blocks; it reports the confirmed fields (dotted paths of the dossier's
declared data) collected from every other rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.crosscheck.results import Outcome, RuleResult

__all__ = ["check_once_only"]


def check_once_only(results: Iterable[RuleResult]) -> RuleResult:
    """R15 over the results of the other rules of one dossier."""
    confirmed = tuple(sorted({f for r in results for f in r.confirmed}))
    return RuleResult(
        "R15",
        "dossier",
        Outcome.MATCH,
        f"{len(confirmed)} declared fields were confirmed from connected sources and need "
        "no paper copy.",
        confirmed=confirmed,
    )
