"""The cross-check service's pure core: dossiers, evidence, rules R1-R15, verdicts.

No Faust and no Kafka here: :class:`Evidence` is the seam where the Faust tables plug in.

* :mod:`.dossier`: the dossier models per procedure; :func:`parse_dossier` validates.
* :mod:`.evidence`: the :class:`Evidence` Protocol and :class:`InMemoryEvidence`.
* :mod:`.rules`: R1-R15, one module per rule family; :mod:`.procedures` composes them.
* :mod:`.verdicts`: :func:`check_dossier` runs a dossier and combines the outcomes.
* :mod:`.generate`, :mod:`.builders`, :mod:`.accuracy`: dossiers from the synthetic
  province with their ground truth, and precision/recall per discrepancy type.
* :mod:`.testing`: canonical-record factories for tests.
"""

from __future__ import annotations

from hub.crosscheck.dossier import Dossier, DossierError, Procedure, parse_dossier
from hub.crosscheck.evidence import Evidence, InMemoryEvidence, SourceRecord
from hub.crosscheck.results import Citation, Outcome, RuleResult
from hub.crosscheck.rules.freshness import DEFAULT_TTL, FreshnessPolicy
from hub.crosscheck.verdicts import Verdict, check_dossier, combine

__all__ = [
    "DEFAULT_TTL",
    "Citation",
    "Dossier",
    "DossierError",
    "Evidence",
    "FreshnessPolicy",
    "InMemoryEvidence",
    "Outcome",
    "Procedure",
    "RuleResult",
    "SourceRecord",
    "Verdict",
    "check_dossier",
    "combine",
    "parse_dossier",
]
