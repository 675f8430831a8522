"""R7: residence registration: the applicant is related to the household head as
declared, or shows lawful residence by owning land at the address.

The population register says which household the applicant belongs to, who heads it and
how the applicant is related. A declaration that agrees is a MATCH. Otherwise, a parcel
the land register lists the applicant as co-owner of, in the declared 2025 ward, shows
lawful residence. Anything else: REVIEW (request documents: a rental contract, the
owner's consent...).
"""

from __future__ import annotations

from hub.crosscheck.dossier import ResidenceRegistration
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, address, missing
from hub.crosscheck.rules.jurisdiction import declared_address
from hub.normalise.address import same_place

__all__ = ["check_residence"]


def check_residence(dossier: ResidenceRegistration, evidence: Evidence) -> RuleResult:
    """R7 for a residence registration."""
    pin = dossier.applicant.pin
    citizen = evidence.citizen(pin)
    if citizen is None:
        return missing("R7", "applicant", "population", "citizen record for the applicant")
    found = Findings("R7", "applicant")
    found.cite(citizen)
    value = citizen.value
    relationship = value.get("relationship_to_head")
    same_household = value.get("household_id") == dossier.household_id
    same_head = value.get("household_head_pin") == dossier.household_head_pin
    related = relationship == dossier.relationship_to_head or (
        dossier.relationship_to_head == "OTHER" and relationship not in ("HEAD", None)
    )
    if same_household and same_head and related:
        found.confirm("household_id", "household_head_pin", "relationship_to_head")
        return found.result("The population register confirms the household relationship.")
    placed = declared_address(dossier.address, dossier.submitted_at.date().isoformat())
    for parcel in evidence.parcels_of(pin):
        where = address(parcel.value.get("address"))
        if placed is not None and where is not None and same_place(placed, where):
            found.cite(parcel)
            found.confirm("address")
            return found.result("The land register shows the applicant owns land at the "
                                "declared address (lawful residence).")  # fmt: skip
    found.add(
        Outcome.REVIEW,
        "request_documents",
        "Neither the population register's household nor the land register shows a "
        "lawful basis for residence at the address: request documents.",
    )
    return found.result("")
