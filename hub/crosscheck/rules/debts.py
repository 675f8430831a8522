"""R9: debts block transfers: the applicant's outstanding tax debt, a parcel's unpaid
land obligations.

The tax administration's individual account is keyed by PIN; no account means no debt
(most people have none). Land-use fees, registration fees and personal income tax on a
transfer are collected through it, so an outstanding debt blocks a land or vehicle
transfer and a business registration with the reason. A parcel's unpaid financial
obligations (land register) block its transfer.
"""

from __future__ import annotations

from hub.crosscheck.dossier import Dossier, LandTransfer
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings

__all__ = ["check_debts"]


def check_debts(dossier: Dossier, evidence: Evidence) -> RuleResult:
    """R9 for the applicant (and the parcel, for a land transfer)."""
    found = Findings("R9", "applicant")
    account = evidence.tax_account(dossier.applicant.pin)
    if account is not None:
        found.cite(account)
        debt = int(account.value.get("outstanding_debt_vnd") or 0)
        if debt > 0:
            category = str(account.value.get("debt_category") or "unspecified").lower()
            found.add(Outcome.MISMATCH, "tax_debt",
                      f"The applicant has outstanding tax debt ({category.replace('_', ' ')}): "
                      "it must be settled first.")  # fmt: skip
    if isinstance(dossier, LandTransfer):
        parcel = evidence.parcel(dossier.parcel_id)
        if parcel is not None and int(parcel.value.get("unpaid_obligations_vnd") or 0) > 0:
            found.cite(parcel)
            found.add(
                Outcome.MISMATCH,
                "land_obligations_unpaid",
                "The parcel has unpaid financial obligations (land register).",
            )
    return found.result("No outstanding debt blocks the procedure.")
