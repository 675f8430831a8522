"""R13: driving licence: the holder's PIN is the applicant's and the licence is valid.

Old paper licences never recorded the holder's PIN: such a licence is *unlinkable*, not
"not found", and a human compares the printed name and date of birth (REVIEW). Without a
declared number, the licences linked to the applicant's PIN are used; none linked also
goes to REVIEW (it may be a paper licence).
"""

from __future__ import annotations

from hub.crosscheck.dossier import DrivingLicenceRenewal
from hub.crosscheck.evidence import Evidence, SourceRecord
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, missing

__all__ = ["check_licence"]


def check_licence(dossier: DrivingLicenceRenewal, evidence: Evidence) -> RuleResult:
    """R13 for a driving-licence procedure."""
    found = Findings("R13", "licence")
    pin = dossier.applicant.pin
    licence: SourceRecord | None
    if dossier.licence_number is not None:
        licence = evidence.licence(dossier.licence_number)
        if licence is None:
            return missing("R13", "licence", "driving_licences", "licence with that number")
    else:
        linked = evidence.licences_of(pin)
        licence = next((r for r in linked if r.value.get("status") == "VALID"), None)
        licence = licence or (linked[0] if linked else None)
        if licence is None:
            found.add(Outcome.REVIEW, "no_linked_licence",
                      "No licence is linked to the applicant's PIN; an old paper licence "
                      "cannot be: a human checks the paper.")  # fmt: skip
            return found.result("")
    found.cite(licence)
    value = licence.value
    if value.get("link_status") == "UNLINKABLE" or not value.get("holder_pin"):
        found.add(Outcome.REVIEW, "unlinkable",
                  "An old paper licence records no PIN: a human compares the printed name and "
                  "date of birth.")  # fmt: skip
    elif value.get("holder_pin") != pin:
        found.add(Outcome.MISMATCH, "holder_mismatch",
                  "The licence is held by someone else.")  # fmt: skip
    else:
        found.confirm("licence_number")
    status = value.get("status")
    if status != "VALID":
        found.add(Outcome.MISMATCH, f"licence_{str(status).lower()}",
                  f"The licence is {str(status).lower()}.")  # fmt: skip
    return found.result("The licence is the applicant's and valid.")
