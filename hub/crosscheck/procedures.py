"""Which rules each procedure runs, on whom, and which sources it cannot do without.

Every procedure checks the applicant with R1 (identity), R2 (PIN consistency) and R3
(alive), and R4 when an identity card is presented; other declared people (founders,
representatives, the child's parents, a transferee, co-signers, a buyer) get R1 and R3.
Then the procedure's own rules:

==========================  ==========================  ==================================
procedure                   own rules                   mandatory sources (besides
                                                        population and civil_status)
==========================  ==========================  ==================================
BUSINESS_REGISTRATION       R8, R9                      judicial, tax (business_registration
                                                        with an enterprise code)
BIRTH_REGISTRATION          R5 (ward), R6               residence
RESIDENCE_REGISTRATION      R5 (ward, declared          residence
                            address), R7
CRIMINAL_RECORD_CERTIFICATE R5 (province), R11          residence, judicial
LAND_TRANSFER               R9, R10                     land, tax
VEHICLE_TRANSFER            R9, R12                     vehicles, tax
DRIVING_LICENCE_RENEWAL     R13                         driving_licences
==========================  ==========================  ==================================

identity_cards is mandatory whenever a card is presented. R14 and R15 run after all of
these (see :mod:`.verdicts`).
"""

from __future__ import annotations

from collections.abc import Callable

from hub.crosscheck import rules as r
from hub.crosscheck.dossier import (
    BirthRegistration,
    BusinessRegistration,
    CriminalRecordCertificate,
    DeclaredPerson,
    Dossier,
    DrivingLicenceRenewal,
    LandTransfer,
    Procedure,
    ResidenceRegistration,
    VehicleTransfer,
)
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import RuleResult

__all__ = ["OWN_RULES", "mandatory_sources", "possible_mandatory_sources", "run_rules"]

#: The rules specific to each procedure (R1-R4 and R14-R15 run for all).
OWN_RULES: dict[Procedure, tuple[str, ...]] = {
    Procedure.BUSINESS_REGISTRATION: ("R8", "R9"),
    Procedure.BIRTH_REGISTRATION: ("R5", "R6"),
    Procedure.RESIDENCE_REGISTRATION: ("R5", "R7"),
    Procedure.CRIMINAL_RECORD_CERTIFICATE: ("R5", "R11"),
    Procedure.LAND_TRANSFER: ("R9", "R10"),
    Procedure.VEHICLE_TRANSFER: ("R9", "R12"),
    Procedure.DRIVING_LICENCE_RENEWAL: ("R13",),
}
_SOURCES: dict[Procedure, tuple[str, ...]] = {
    Procedure.BUSINESS_REGISTRATION: ("judicial", "tax"),
    Procedure.BIRTH_REGISTRATION: ("residence",),
    Procedure.RESIDENCE_REGISTRATION: ("residence",),
    Procedure.CRIMINAL_RECORD_CERTIFICATE: ("residence", "judicial"),
    Procedure.LAND_TRANSFER: ("land", "tax"),
    Procedure.VEHICLE_TRANSFER: ("vehicles", "tax"),
    Procedure.DRIVING_LICENCE_RENEWAL: ("driving_licences",),
}


def mandatory_sources(dossier: Dossier) -> frozenset[str]:
    """The sources without which ``dossier`` cannot be approved."""
    found = {"population", "civil_status", *_SOURCES[dossier.procedure]}
    if dossier.identity_card_number is not None:
        found.add("identity_cards")
    if isinstance(dossier, BusinessRegistration) and dossier.enterprise_code is not None:
        found.add("business_registration")
    return frozenset(found)


def possible_mandatory_sources(procedure: Procedure) -> frozenset[str]:
    """Every source that is mandatory for some dossier of ``procedure``: what
    :func:`mandatory_sources` can answer whatever the dossier declares (identity_cards
    when a card is presented, business_registration when an enterprise code is).

    The access policy must grant each of these (:mod:`hub.trust.policy`): a source the
    policy hides reads as "no record", which for a mandatory source would silently mean
    "never convicted" or "no debt".
    """
    found = {"population", "civil_status", "identity_cards", *_SOURCES[procedure]}
    if procedure is Procedure.BUSINESS_REGISTRATION:
        found.add("business_registration")
    return frozenset(found)


def _applicant(dossier: Dossier, evidence: Evidence) -> list[RuleResult]:
    person = dossier.applicant
    out = [
        r.check_identity(person, evidence),
        r.check_pin_consistency(person, evidence),
        r.check_life_status(person, evidence),
    ]
    if dossier.identity_card_number is not None:
        out.append(r.check_identity_document(dossier, evidence))
    return out


def _others(
    people: list[tuple[str, DeclaredPerson]], evidence: Evidence, skip: set[str]
) -> list[RuleResult]:
    """R1 and R3 for each other declared person, once per PIN."""
    out: list[RuleResult] = []
    for subject, person in people:
        if person.pin in skip:
            continue
        skip.add(person.pin)
        out.append(r.check_identity(person, evidence, subject))
        out.append(r.check_life_status(person, evidence, subject))
    return out


def _business(d: BusinessRegistration, ev: Evidence) -> list[RuleResult]:
    people: list[tuple[str, DeclaredPerson]] = [
        (f"founders[{i}]", p) for i, p in enumerate(d.founders)
    ]
    people += [(f"legal_representatives[{i}]", p) for i, p in enumerate(d.legal_representatives)]
    return [*_others(people, ev, {d.applicant.pin}), r.check_business(d, ev), r.check_debts(d, ev)]


def _birth(d: BirthRegistration, ev: Evidence) -> list[RuleResult]:
    people = [("mother", d.mother)] + ([("father", d.father)] if d.father else [])
    return [*_others(people, ev, {d.applicant.pin}), r.check_jurisdiction(d, ev),
            r.check_birth(d, ev)]  # fmt: skip


def _residence(d: ResidenceRegistration, ev: Evidence) -> list[RuleResult]:
    return [r.check_jurisdiction(d, ev, d.address), r.check_residence(d, ev)]


def _criminal(d: CriminalRecordCertificate, ev: Evidence) -> list[RuleResult]:
    return [r.check_jurisdiction(d, ev), r.check_judicial_record(d, ev)]


def _land(d: LandTransfer, ev: Evidence) -> list[RuleResult]:
    people = [("transferee", d.transferee)]
    people += [(f"co_signers[{i}]", p) for i, p in enumerate(d.co_signers)]
    return [*_others(people, ev, {d.applicant.pin}), r.check_debts(d, ev), r.check_land(d, ev)]


def _vehicle(d: VehicleTransfer, ev: Evidence) -> list[RuleResult]:
    return [*_others([("buyer", d.buyer)], ev, {d.applicant.pin}), r.check_debts(d, ev),
            r.check_vehicle(d, ev)]  # fmt: skip


def _licence(d: DrivingLicenceRenewal, ev: Evidence) -> list[RuleResult]:
    return [r.check_licence(d, ev)]


_RUN: dict[type[object], Callable[..., list[RuleResult]]] = {
    BusinessRegistration: _business,
    BirthRegistration: _birth,
    ResidenceRegistration: _residence,
    CriminalRecordCertificate: _criminal,
    LandTransfer: _land,
    VehicleTransfer: _vehicle,
    DrivingLicenceRenewal: _licence,
}


def run_rules(dossier: Dossier, evidence: Evidence) -> list[RuleResult]:
    """Run R1-R13 as the dossier's procedure composes them (R14, R15 not included)."""
    return [*_applicant(dossier, evidence), *_RUN[type(dossier)](dossier, evidence)]
