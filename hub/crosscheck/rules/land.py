"""R10: land transfer: the transferor owns the parcel, it is free to transfer, and a
married transferor's spouse co-signs common property.

The parcel must exist in the land register (otherwise INCONCLUSIVE: never approve on
missing data); the transferor must be among its owners and not recorded deceased; no
DISPUTE, SEIZURE or PROVISIONAL_MEASURE may be registered on it (a MORTGAGE does not
block: the mortgagee's consent belongs to the transfer file, noted); a term-limited
right must not have ended; every other owner of common property, and the transferor's
spouse in the population register, must be among the co-signers.
"""

from __future__ import annotations

from hub.crosscheck.dossier import LandTransfer
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, as_date, missing

__all__ = ["BLOCKING_ENCUMBRANCES", "check_land"]

BLOCKING_ENCUMBRANCES = ("DISPUTE", "SEIZURE", "PROVISIONAL_MEASURE")


def check_land(dossier: LandTransfer, evidence: Evidence) -> RuleResult:
    """R10 for a land transfer."""
    parcel = evidence.parcel(dossier.parcel_id)
    if parcel is None:
        return missing("R10", "parcel", "land", "parcel with the declared id")
    found = Findings("R10", "parcel")
    found.cite(parcel)
    value = parcel.value
    pin = dossier.applicant.pin
    owners = {o["pin"]: o for o in value.get("owners", [])}
    if pin not in owners:
        found.add(Outcome.MISMATCH, "not_owner",
                  "The transferor is not among the parcel's owners.")  # fmt: skip
    else:
        found.confirm("parcel_id")
        if owners[pin].get("deceased"):
            found.add(Outcome.MISMATCH, "owner_deceased",
                      "The land register records the transferor as deceased.")  # fmt: skip
    kinds = sorted({e.get("kind") for e in value.get("encumbrances", [])} - {None})
    blocking = [k for k in kinds if k in BLOCKING_ENCUMBRANCES]
    if blocking:
        found.add(Outcome.MISMATCH, "parcel_encumbered",
                  "The parcel is under " + ", ".join(k.lower().replace("_", " ") for k in blocking)
                  + ": it cannot be transferred.")  # fmt: skip
    elif "MORTGAGE" in kinds:
        found.add(
            Outcome.MATCH,
            "mortgage_registered",
            "A mortgage is registered: the mortgagee's consent belongs to the file.",
        )
    term = as_date(value.get("term_until"))
    if not value.get("long_term") and term is not None and term < dossier.submitted_at.date():
        found.add(Outcome.MISMATCH, "term_expired", "The land-use term has ended.")
    _co_signers(found, dossier, evidence, set(owners), bool(value.get("common_property")))
    return found.result("The transferor owns the parcel and nothing blocks the transfer.")


def _co_signers(
    found: Findings, dossier: LandTransfer, evidence: Evidence, owners: set[str], common: bool
) -> None:
    pin = dossier.applicant.pin
    signed = {p.pin for p in dossier.co_signers}
    needed = owners - {pin} if common else set()
    citizen = evidence.citizen(pin)
    spouse = citizen.value.get("spouse_pin") if citizen else None
    if (
        common
        and spouse
        and citizen is not None
        and citizen.value.get("marital_status") == ("MARRIED")
    ):
        found.cite(citizen)
        needed.add(str(spouse))
    if needed - signed:
        found.add(
            Outcome.MISMATCH,
            "co_signature_missing",
            "The parcel is common property: the co-owning spouse must co-sign.",
        )
    elif needed:
        found.confirm("co_signers")
