"""R3: the applicant is alive (or, for death-related procedures, the reverse).

Two sources speak: the population register's status (ALIVE, DECEASED, MISSING) and the
civil-status register's death registrations. A death registration while the population
register says ALIVE is a discrepancy between registers and blocks as firmly as a
registered death: nobody is approved on behalf of a person a register says is dead.
Civil status holds deaths of people outside the population too, so only the declared
PIN is looked up. Absence of a death registration is a valid negative.
"""

from __future__ import annotations

from hub.crosscheck.dossier import DeclaredPerson
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, missing

__all__ = ["check_life_status"]


def check_life_status(
    person: DeclaredPerson,
    evidence: Evidence,
    subject: str = "applicant",
    *,
    expect_alive: bool = True,
) -> RuleResult:
    """R3 for one declared person.

    Args:
        person: the declared person.
        evidence: population and civil-status records.
        subject: the person's role in the dossier.
        expect_alive: False for death-related procedures (death registration, inheritance),
            which need the person to be dead.
    """
    citizen = evidence.citizen(person.pin)
    if citizen is None:
        return missing("R3", subject, "population", "citizen record for the declared PIN")
    found = Findings("R3", subject)
    death = evidence.death(person.pin)
    found.cite(citizen, death)
    status = citizen.value.get("status")
    dead = status == "DECEASED" or death is not None
    if not expect_alive:
        if not dead:
            found.add(
                Outcome.MISMATCH,
                "not_deceased",
                "Neither the population nor the civil-status register records a death.",
            )
        return found.result("A death is registered, as the procedure requires.")
    if status == "DECEASED":
        found.add(Outcome.MISMATCH, "deceased",
                  "The population register records the person as deceased.")  # fmt: skip
        return found.result("")
    if status == "MISSING":
        found.add(Outcome.MISMATCH, "missing_person",
                  "The population register records the person as missing.")  # fmt: skip
    if death is not None:
        found.add(
            Outcome.MISMATCH,
            "death_registered_elsewhere",
            "The civil-status register holds a death registration while the population "
            "register does not record the death: the registers disagree and the dossier "
            "is blocked.",
        )
    return found.result("Alive in the population register; no death registration.")
