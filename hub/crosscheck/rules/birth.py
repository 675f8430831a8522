"""R6: birth registration: the mother exists and was alive at the birth; a declared
father exists; a declared marriage of the parents is registered and consistent.

The mother's death is read from the population register (status and date of death) and
from civil status (a death registration). A death definitely before the child's birth
(its latest possible day before the birth's earliest) is a MISMATCH; a death whose
partial date overlaps the birth goes to REVIEW; a death after the birth is fine (the
mother was alive at the birth). Declared names of the parents are compared as in R1.
"""

from __future__ import annotations

from hub.crosscheck.dossier import BirthRegistration
from hub.crosscheck.evidence import Evidence, SourceRecord
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import (
    Findings,
    compare_name,
    first_day,
    last_day,
    missing,
    partial,
)

__all__ = ["check_birth"]


def check_birth(dossier: BirthRegistration, evidence: Evidence) -> RuleResult:
    """R6 for a birth registration."""
    mother = evidence.citizen(dossier.mother.pin)
    if mother is None:
        return missing("R6", "mother", "population", "citizen record for the mother's PIN")
    found = Findings("R6", "child")
    found.cite(mother)
    compare_name(
        found,
        "mother.full_name",
        dossier.mother.full_name,
        mother.value.get("full_name"),
        "the population register",
        prefix="mother_",
    )
    if mother.value.get("sex") != "FEMALE":
        found.add(
            Outcome.MISMATCH,
            "mother_not_female",
            "The population register does not record the declared mother as female.",
        )
    found.confirm("mother.pin")
    _mother_alive_at_birth(found, dossier, mother, evidence)
    father = None
    if dossier.father is not None:
        father = evidence.citizen(dossier.father.pin)
        if father is None:
            return missing("R6", "father", "population", "citizen record for the father's PIN")
        found.cite(father)
        found.confirm("father.pin")
        compare_name(
            found,
            "father.full_name",
            dossier.father.full_name,
            father.value.get("full_name"),
            "the population register",
            prefix="father_",
        )
    if dossier.parents_married:
        _marriage(found, dossier, evidence)
    return found.result("The parents are registered and the mother was alive at the birth.")


def _mother_alive_at_birth(
    found: Findings, dossier: BirthRegistration, mother: SourceRecord, evidence: Evidence
) -> None:
    birth = dossier.child.birth
    death = evidence.death(dossier.mother.pin)
    found.cite(death)
    died = partial(mother.value.get("date_of_death"))
    if died is None and death is not None:
        died = partial(death.value.get("date_of_death"))
    if died is None:
        if mother.value.get("status") == "DECEASED" or death is not None:
            found.add(
                Outcome.REVIEW,
                "mother_death_date_unknown",
                "The mother is recorded deceased without a date of death.",
            )
        elif mother.value.get("status") == "MISSING":
            found.add(
                Outcome.REVIEW,
                "mother_missing",
                "The population register records the mother as missing.",
            )
        return
    if last_day(died) < first_day(birth):
        found.add(
            Outcome.MISMATCH,
            "mother_deceased_before_birth",
            "The mother's registered death precedes the declared birth.",
        )
    elif first_day(died) <= last_day(birth):
        found.add(
            Outcome.REVIEW,
            "mother_death_date_uncertain",
            "The mother's registered death and the birth fall in the same period: "
            "a human checks the order.",
        )


def _marriage(found: Findings, dossier: BirthRegistration, evidence: Evidence) -> None:
    if dossier.father is None:
        found.add(
            Outcome.REVIEW,
            "marriage_without_father",
            "The parents are declared married but no father is declared.",
        )
        return
    father_pin = dossier.father.pin
    for record in evidence.marriages_of(dossier.mother.pin):
        value = record.value
        if father_pin not in (value.get("husband_pin"), value.get("wife_pin")):
            continue
        found.cite(record)
        married = partial(value.get("date_of_marriage"))
        if married is not None and first_day(married) > last_day(dossier.child.birth):
            found.add(
                Outcome.REVIEW,
                "marriage_after_birth",
                "The parents' marriage is registered after the birth.",
            )
        found.confirm("parents_married")
        return
    found.add(
        Outcome.REVIEW,
        "no_marriage_record",
        "The parents are declared married but civil status holds no marriage between them.",
    )
