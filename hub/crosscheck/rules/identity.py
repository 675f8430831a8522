"""R1 and R2: who the applicant (or any declared person) is.

R1: the PIN exists in the population register and the declared name, date of birth (at
the precision the register holds) and sex match it. Names follow the hub's policy:
identical after Unicode form, case, spacing and tone placement → match; diacritics only
→ REVIEW; otherwise MISMATCH. Other identity-bearing registers that hold the PIN
(health insurance) corroborate: when one disagrees with the declaration that the
population register confirms, a human must have the register corrected (REVIEW).

R2: the PIN is consistent with the register: a known province prefix, a sex/century
digit that agrees with sex and birth year, year digits that agree with the birth year.
A disagreement is a probable entry error (REVIEW). When the declared date of birth
agrees with the PIN but the register's does not, R1 answers REVIEW too: the register,
not the applicant, probably holds the error.
"""

from __future__ import annotations

from hub.crosscheck.dossier import DeclaredPerson
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, compare_name, missing, partial, pin_year
from hub.normalise.identifiers import pin_inconsistencies

__all__ = ["check_identity", "check_pin_consistency"]


def check_identity(
    person: DeclaredPerson, evidence: Evidence, subject: str = "applicant"
) -> RuleResult:
    """R1 for one declared person.

    Args:
        person: the declared PIN, name, date of birth and sex.
        evidence: where the population (and health-insurance) records come from.
        subject: the person's role in the dossier; names the confirmed fields.
    """
    citizen = evidence.citizen(person.pin)
    if citizen is None:
        return missing("R1", subject, "population", "citizen record for the declared PIN")
    found = Findings("R1", subject)
    found.cite(citizen)
    found.confirm(f"{subject}.pin")
    value = citizen.value
    compare_name(found, f"{subject}.full_name", person.full_name, value.get("full_name"),
                 "the population register")  # fmt: skip
    declared, registered = person.birth, partial(value.get("birth_date"))
    if registered is not None and declared.agrees_with(registered):
        found.confirm(f"{subject}.birth_date")
    elif registered is not None:
        encoded = pin_year(person.pin)
        if encoded == declared.year and encoded != registered.year:
            found.add(
                Outcome.REVIEW,
                "register_dob_contradicts_pin",
                "The population register's date of birth disagrees with the declared one "
                "and with the PIN, which the declared one agrees with: probable entry "
                "error in the register.",
            )
        else:
            found.add(Outcome.MISMATCH, "dob_mismatch",
                      "The date of birth differs from the population register.")  # fmt: skip
    if value.get("sex") == person.sex:
        found.confirm(f"{subject}.sex")
    else:
        found.add(Outcome.MISMATCH, "sex_mismatch", "The sex differs from the population register.")
    _corroborate(found, person, evidence)
    return found.result("The population register confirms the declared identity.")


def _corroborate(found: Findings, person: DeclaredPerson, evidence: Evidence) -> None:
    """Optional registers: a disagreement with them is sent to a human."""
    card = evidence.health_insurance(person.pin)
    if card is None:
        return
    value = card.value
    conflicts: dict[str, str] = {}
    if value.get("sex") != person.sex:
        conflicts["register_sex_conflict"] = "sex"
    registered = partial(value.get("birth_date"))
    if registered is not None and not person.birth.agrees_with(registered):
        conflicts["register_dob_conflict"] = "date of birth"
    if not conflicts:
        return
    found.cite(card)
    found.add(
        Outcome.REVIEW,
        "register_conflict",
        f"The health-insurance register holds another {' and '.join(conflicts.values())} "
        "than the declaration: have the register corrected before relying on it.",
    )
    for code in conflicts:
        found.add(Outcome.REVIEW, code, "")


def check_pin_consistency(
    person: DeclaredPerson, evidence: Evidence, subject: str = "applicant"
) -> RuleResult:
    """R2 for one declared person: the PIN against the register's birth year and sex."""
    citizen = evidence.citizen(person.pin)
    if citizen is None:
        return missing("R2", subject, "population", "citizen record for the declared PIN")
    found = Findings("R2", subject)
    found.cite(citizen)
    registered = partial(citizen.value.get("birth_date"))
    problems = pin_inconsistencies(
        person.pin,
        birth_year=registered.year if registered else None,
        sex=citizen.value.get("sex"),
    )
    if problems:
        found.add(
            Outcome.REVIEW,
            "pin_inconsistent",
            "Probable entry error: " + "; ".join(problems) + " (population register).",
        )
    return found.result("The PIN agrees with the registered sex and date of birth.")
