"""R4: the identity card presented with the dossier is valid and agrees with it.

The card must exist in the identity-card database under the applicant's PIN, carry the
presented number, not be LOST or REVOKED (MISMATCH) and not be past its expiry date on
the reference day (REVIEW: a warning, the PIN stays valid). What the card prints must
agree with the declaration: a name that differs only in diacritics (legacy ASCII
printing) goes to REVIEW; another name, date of birth or sex is a MISMATCH. A card whose
date of birth agrees only at a coarser precision (the card prints a day the declaration
does not know) goes to REVIEW.
"""

from __future__ import annotations

from datetime import date

from hub.crosscheck.dossier import Dossier
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, as_date, compare_name, missing, partial

__all__ = ["check_identity_document"]


def check_identity_document(dossier: Dossier, evidence: Evidence) -> RuleResult:
    """R4 for the applicant's presented identity card (``identity_card_number``)."""
    person = dossier.applicant
    card = evidence.identity_card(person.pin)
    if card is None:
        return missing("R4", "applicant", "identity_cards", "card for the applicant's PIN")
    found = Findings("R4", "applicant")
    found.cite(card)
    value = card.value
    if value.get("card_number") != dossier.identity_card_number:
        found.add(Outcome.MISMATCH, "card_number_mismatch",
                  "The presented card number is not the applicant's current card.")  # fmt: skip
    else:
        found.confirm("identity_card_number")
    status = value.get("status")
    if status in ("LOST", "REVOKED"):
        found.add(Outcome.MISMATCH, f"card_{str(status).lower()}",
                  f"The identity card is {str(status).lower()}.")  # fmt: skip
    expiry = as_date(value.get("expiry_date"))
    on: date = dossier.submitted_at.date()
    if expiry is not None and expiry < on:
        found.add(Outcome.REVIEW, "card_expired",
                  "The identity card has expired (the PIN stays valid): ask for a current "
                  "card.")  # fmt: skip
    compare_name(found, "applicant.full_name", person.full_name, value.get("full_name"),
                 "the identity card", prefix="card_")  # fmt: skip
    printed = partial(value.get("birth_date"))
    if printed == person.birth:
        found.confirm("applicant.birth_date")
    elif printed is not None and printed.agrees_with(person.birth):
        found.add(Outcome.REVIEW, "card_dob_precision",
                  "The card's date of birth agrees with the declared one only at a coarser "
                  "precision.")  # fmt: skip
    else:
        found.add(Outcome.MISMATCH, "card_dob_mismatch",
                  "The card's date of birth differs from the declared one.")  # fmt: skip
    if value.get("sex") == person.sex:
        found.confirm("applicant.sex")
    else:
        found.add(Outcome.MISMATCH, "card_sex_mismatch",
                  "The card's sex differs from the declared one.")  # fmt: skip
    return found.result("The identity card is valid and agrees with the declaration.")
