"""R8: business registration: the enterprise code, and whether representatives are barred.

Each founder and legal representative also passes R1 and R3 (the procedure runs those
per person). This rule adds what is specific to enterprises:

* a declared enterprise code (registration of changes) has a valid check digit, exists
  in the business register and is not DISSOLVED or BANKRUPT, and every declared legal
  representative is registered as one;
* founders and representatives are adults on the reference day;
* no legal representative is barred: a conviction whose sentence is being served (the
  judicial record is looked up by PIN only; no record means never convicted).
"""

from __future__ import annotations

from datetime import date

from hub.crosscheck.dossier import BusinessRegistration, DeclaredPerson
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, missing
from hub.normalise.identifiers import tax_check_digit

__all__ = ["check_business"]

ADULT_AGE = 18
_CLOSED = ("DISSOLVED", "BANKRUPT")


def check_business(dossier: BusinessRegistration, evidence: Evidence) -> RuleResult:
    """R8 for a business registration."""
    found = Findings("R8", "enterprise")
    code = dossier.enterprise_code
    if code is not None:
        if tax_check_digit(code[:9]) != int(code[9]):
            found.add(Outcome.MISMATCH, "bad_check_digit",
                      "The enterprise code's check digit is wrong.")  # fmt: skip
            return found.result("")
        enterprise = evidence.enterprise(code)
        if enterprise is None:
            return missing("R8", "enterprise", "business_registration", "enterprise record")
        found.cite(enterprise)
        found.confirm("enterprise_code")
        status = enterprise.value.get("status")
        if status in _CLOSED:
            found.add(
                Outcome.MISMATCH,
                "enterprise_closed",
                f"The business register records the enterprise as {str(status).lower()}.",
            )
        registered = {r.get("pin") for r in enterprise.value.get("legal_representatives", [])}
        for i, person in enumerate(dossier.legal_representatives):
            if person.pin not in registered:
                found.add(
                    Outcome.MISMATCH,
                    "representative_not_registered",
                    f"Legal representative {i + 1} is not registered as one.",
                )
    people = [*dossier.founders, *dossier.legal_representatives]
    on = dossier.submitted_at.date()
    for person in people:
        if not _adult(person, on):
            found.add(Outcome.MISMATCH, "minor_founder",
                      "A founder or representative is under 18.")  # fmt: skip
            break
    for i, person in enumerate(dossier.legal_representatives):
        record = evidence.judicial(person.pin)
        if record is None:
            continue
        serving = [c for c in record.value.get("convictions", [])
                   if c.get("execution_status") == "SERVING"]  # fmt: skip
        if serving:
            found.cite(record)
            found.add(Outcome.MISMATCH, "representative_barred",
                      f"Legal representative {i + 1} is serving a sentence.")  # fmt: skip
    return found.result("The enterprise checks pass.")


def _adult(person: DeclaredPerson, on: date) -> bool:
    """Adult on ``on`` whatever day the partial birth date stands for (the latest counts)."""
    birth = person.birth
    born = (birth.year, birth.month or 12, birth.day or 31)
    return (on.year - ADULT_AGE, on.month, on.day) >= born
