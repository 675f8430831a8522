"""The cross-check rules R1–R15, one small module per rule family.

Each rule is a pure function of the dossier (or one declared person) and an
:class:`~hub.crosscheck.evidence.Evidence`, answering a
:class:`~hub.crosscheck.results.RuleResult`; R14 and R15 run over the other results.

====  ===========================  =================================================
rule  module                       checks
====  ===========================  =================================================
R1    :mod:`.identity`             PIN exists; name, date of birth, sex match
R2    :mod:`.identity`             PIN consistent with sex and birth year
R3    :mod:`.life`                 alive (population status, civil-status deaths)
R4    :mod:`.documents`            identity card valid and agrees with the dossier
R5    :mod:`.jurisdiction`         residence under the authority, in the 2025 list
R6    :mod:`.birth`                mother alive at the birth, father, marriage
R7    :mod:`.residence`            household relationship or land ownership
R8    :mod:`.business`             enterprise code, adults, barred representatives
R9    :mod:`.debts`                tax debt, unpaid land obligations
R10   :mod:`.land`                 owner, encumbrances, term, spouse co-signature
R11   :mod:`.judicial`             record status by PIN only
R12   :mod:`.vehicles`             owner is the seller, not stolen
R13   :mod:`.licences`             holder PIN, status, unlinkable paper licences
R14   :mod:`.freshness`            mandatory sources available and fresh (TTL)
R15   :mod:`.once_only`            declared fields confirmed from sources
====  ===========================  =================================================
"""

from __future__ import annotations

from hub.crosscheck.rules.birth import check_birth
from hub.crosscheck.rules.business import check_business
from hub.crosscheck.rules.debts import check_debts
from hub.crosscheck.rules.documents import check_identity_document
from hub.crosscheck.rules.freshness import DEFAULT_TTL, FreshnessPolicy, check_freshness
from hub.crosscheck.rules.identity import check_identity, check_pin_consistency
from hub.crosscheck.rules.judicial import check_judicial_record
from hub.crosscheck.rules.jurisdiction import check_jurisdiction
from hub.crosscheck.rules.land import check_land
from hub.crosscheck.rules.licences import check_licence
from hub.crosscheck.rules.life import check_life_status
from hub.crosscheck.rules.once_only import check_once_only
from hub.crosscheck.rules.residence import check_residence
from hub.crosscheck.rules.vehicles import check_vehicle

__all__ = [
    "DEFAULT_TTL",
    "FreshnessPolicy",
    "check_birth",
    "check_business",
    "check_debts",
    "check_freshness",
    "check_identity",
    "check_identity_document",
    "check_judicial_record",
    "check_jurisdiction",
    "check_land",
    "check_licence",
    "check_life_status",
    "check_once_only",
    "check_pin_consistency",
    "check_residence",
    "check_vehicle",
]
