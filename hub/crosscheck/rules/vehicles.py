"""R12: vehicle transfer: the registered owner is the seller; not stolen; registered.

A vehicle missing from the register is INCONCLUSIVE (never approve on missing data).
"""

from __future__ import annotations

from hub.crosscheck.dossier import VehicleTransfer
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, missing
from hub.errors import NormaliseError
from hub.normalise.identifiers import normalise_plate

__all__ = ["check_vehicle"]


def check_vehicle(dossier: VehicleTransfer, evidence: Evidence) -> RuleResult:
    """R12 for a vehicle transfer."""
    try:
        plate = normalise_plate(dossier.plate)
    except NormaliseError:
        plate = dossier.plate
    vehicle = evidence.vehicle(plate)
    if vehicle is None:
        return missing("R12", "vehicle", "vehicles", "vehicle with the declared plate")
    found = Findings("R12", "vehicle")
    found.cite(vehicle)
    value = vehicle.value
    if value.get("owner_pin") != dossier.applicant.pin:
        found.add(Outcome.MISMATCH, "not_owner",
                  "The registered owner is not the seller.")  # fmt: skip
    else:
        found.confirm("plate")
    if value.get("stolen"):
        found.add(Outcome.MISMATCH, "vehicle_stolen",
                  "The vehicle is flagged stolen: the transfer is blocked.")  # fmt: skip
    if value.get("registration_status") != "REGISTERED":
        found.add(Outcome.MISMATCH, "vehicle_deregistered",
                  "The vehicle is no longer registered.")  # fmt: skip
    return found.result("The seller is the registered owner and the vehicle may be sold.")
