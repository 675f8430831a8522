"""Dossiers from the synthetic province, each with its ground truth.

For every entry of ``province.manifest()`` one dossier is generated whose procedure
reads the source that shows the discrepancy:

=====================================  =============================================
discrepancy types                      procedure (applicant: the manifest's subject)
=====================================  =============================================
name_diacritics, name_mismatch,        criminal-record certificate (R1-R4 on the
dob_mismatch, id_card_invalid,         applicant, with the identity card presented)
sex_mismatch, pin_inconsistent,
deceased_elsewhere
missing_from_source, stale_record,     residence registration (R5 at ward level, R7)
address_code_reuse, split_ward
parcel_encumbered                      land transfer of the encumbered parcel
vehicle_stolen                         vehicle transfer of the stolen vehicle
tax_debt                               land transfer of a free parcel, else vehicle
                                       transfer, else a new one-member company
=====================================  =============================================

Honest dossiers come from people without a discrepancy, alive, outside affected
households, with honest counterparts (transferees, buyers, co-signers, parents,
founders). A dossier's ``expected`` set is every discrepancy type its rules can see:
the applicant's own, the household's address type (code reuse wherever R5 runs, a split
ward only where R5 works at ward level), and the types of other declared people that R1
and R3 see on them (``deceased_elsewhere``, ``sex_mismatch``); a real instance of a type
counts too (a dead applicant's identity card is revoked: ``id_card_invalid``). Manifest
entries no
dossier can show (a card type for someone too young for a card) are listed in
``skipped``, never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from hub.crosscheck.builders import DossierFactory
from hub.crosscheck.dossier import AuthorityLevel, Dossier, Procedure
from hub.province import Province
from hub.province.discrepancies import HOUSEHOLD_TYPES, Discrepancy
from hub.province.discrepancies import DiscrepancyType as T
from hub.province.enterprises import enterprises_of
from hub.province.judicial import judicial_records
from hub.province.land import FARM_SLOTS, SLOTS, LandRegistry, Parcel
from hub.province.vehicles import Fleet

__all__ = ["GeneratedDossier", "Generation", "generate_dossiers"]

_CARD_TYPES = (T.NAME_DIACRITICS, T.NAME_MISMATCH, T.DOB_MISMATCH, T.ID_CARD_INVALID)
_PERSON_TYPES = (*_CARD_TYPES, T.SEX_MISMATCH, T.PIN_INCONSISTENT, T.DECEASED_ELSEWHERE)
_RESIDENCE_TYPES = (T.MISSING_FROM_SOURCE, T.STALE_RECORD, *HOUSEHOLD_TYPES)
#: Types R1 and R3 see on a declared person other than the applicant.
_OTHER_VISIBLE = frozenset({T.DECEASED_ELSEWHERE, T.SEX_MISMATCH})
_BLOCKING = ("DISPUTE", "SEIZURE", "PROVISIONAL_MEASURE")
#: Sources whose malformed-record draw is keyed by the person's index.
_PERSON_SOURCES = (
    "population", "identity_cards", "residence", "civil_status", "health_insurance",
    "judicial", "social_insurance", "driving_licences", "degrees",
)  # fmt: skip


def lost_at_source(province: Province, index: int) -> bool:
    """Whether a source sends a record of person ``index`` malformed (dead-lettered).

    Such a person's dossiers would be judged on incomplete evidence by design, so the
    ground truth leaves them out rather than count them against the checker.
    """
    if any(province.is_malformed(source, index) for source in _PERSON_SOURCES):
        return True
    # the tax register numbers its taxpayers: enterprises first, then one per person
    return province.is_malformed("tax", enterprises_of(province).count + index)


@dataclass(frozen=True)
class GeneratedDossier:
    """A dossier with its ground truth.

    Attributes:
        dossier: the dossier.
        expected: the discrepancy types its verdict should flag (empty: honest).
        applicant: the applicant's person index.
        entry: the manifest entry it was generated for (None: an honest applicant).
    """

    dossier: Dossier
    expected: frozenset[T]
    applicant: int
    entry: Discrepancy | None = None


@dataclass
class Generation:
    """What :func:`generate_dossiers` made, and which manifest entries it could not show."""

    dossiers: list[GeneratedDossier] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    #: Entries whose records a source sent malformed: dead-lettered, never reaching the
    #: cross-checker, so they cannot count against its recall.
    unreachable: list[Discrepancy] = field(default_factory=list)


class _Generator:
    def __init__(self, province: Province, at: datetime) -> None:
        self.province = province
        self.population = province.population
        self.make = DossierFactory(province, at)
        self.land = LandRegistry(province)
        self.fleet = Fleet(province)
        self.judicial = judicial_records(province)

    def kind(self, index: int) -> T | None:
        return self.province.discrepancy_of(index)

    def household_kind(self, index: int) -> T | None:
        pop = self.population
        kind = self.kind(pop.household(pop.household_of(index)).first)
        return kind if kind in HOUSEHOLD_TYPES else None

    def clean(self, index: int) -> bool:
        return (
            self.kind(index) is None
            and self.household_kind(index) is None
            and self.population.person(index).status == "ALIVE"
            and not lost_at_source(self.province, index)
        )

    def counterpart(self, start: int, avoid: set[int]) -> int:
        """A clean adult other than ``avoid``, searched from ``start``."""
        n = self.population.citizens
        for step in range(n):
            index = (start * 7919 + step) % n
            if index not in avoid and self.clean(index) and self.make.adult(index):
                return index
        raise LookupError("no clean adult in the province")

    def expected(self, dossier: Dossier, applicant: int, others: list[int]) -> frozenset[T]:
        found = {k} if (k := self.kind(applicant)) is not None else set()
        household = self.household_kind(applicant)
        if T.MISSING_FROM_SOURCE in found:
            household = None  # without a residence record, R5 sees no address
        ward_level = dossier.authority.level is AuthorityLevel.WARD
        r5 = dossier.procedure in _R5_PROCEDURES
        if household is T.ADDRESS_CODE_REUSE and r5:
            found.add(household)
        if household is T.SPLIT_WARD and r5 and ward_level:
            found.add(household)
        if self.population.person(applicant).status == "DECEASED" and self.make.has_card(applicant):
            found.add(T.ID_CARD_INVALID)  # a death revokes the card: a real invalid card
        for other in others:
            if (k := self.kind(other)) is not None and k in _OTHER_VISIBLE:
                found.add(k)
        return frozenset(found)

    def free_parcels(self, index: int) -> list[Parcel]:
        """Parcels of ``index`` that nothing blocks (owners alive)."""
        found = []
        for number in self.land.affected_by(index):
            parcel = self.land.parcel(number)
            if parcel is None or parcel.unpaid_vnd or any(dead for *_, dead in parcel.owners):
                continue
            if not any(e.kind in _BLOCKING for e in parcel.encumbrances):
                found.append(parcel)
        return found

    def land_dossier(self, index: int, parcel: Parcel) -> GeneratedDossier:
        buyer = self.counterpart(index + 1, {o for o, _, _ in parcel.owners})
        dossier = self.make.land_transfer(index, parcel, buyer)
        others = [buyer, *(o for o, _, _ in parcel.owners if o != index)]
        return GeneratedDossier(dossier, self.expected(dossier, index, others), index)

    def for_entry(self, entry: Discrepancy) -> GeneratedDossier | str:
        """The dossier showing ``entry``, or why none can."""
        i, kind = entry.index, entry.type
        make = self.make
        if kind in _CARD_TYPES and not make.has_card(i):
            return f"{kind.value}: too young for an identity card, no source shows it"
        if kind in _PERSON_TYPES:
            dossier: Dossier = make.criminal_record(i)
            return GeneratedDossier(dossier, self.expected(dossier, i, []), i, entry)
        if kind in _RESIDENCE_TYPES:
            dossier = make.residence(i)
            return GeneratedDossier(dossier, self.expected(dossier, i, []), i, entry)
        if kind is T.PARCEL_ENCUMBERED:
            owned = [self.land.parcel(n) for n in self.land.affected_by(i)]
            blocked = [p for p in owned if p and any(e.kind in _BLOCKING for e in p.encumbrances)]
            if not blocked:
                return f"{kind.value}: the subject owns no encumbered parcel"
            return _with_entry(self.land_dossier(i, blocked[0]), entry)
        vehicles = [v for v in self.fleet.vehicles_of(i) if v.stolen == (kind is T.VEHICLE_STOLEN)]
        if kind is T.VEHICLE_STOLEN and not vehicles:
            return f"{kind.value}: the subject owns no stolen vehicle"
        if kind is T.TAX_DEBT and (parcels := self.free_parcels(i)):
            return _with_entry(self.land_dossier(i, parcels[0]), entry)
        if vehicles:
            buyer = self.counterpart(i + 1, {i})
            dossier = make.vehicle_transfer(i, vehicles[0], buyer)
            return GeneratedDossier(dossier, self.expected(dossier, i, [buyer]), i, entry)
        dossier = make.new_enterprise(i)
        return GeneratedDossier(dossier, self.expected(dossier, i, []), i, entry)

    def honest(
        self, procedure: Procedure, count: int, **options: object
    ) -> Iterator[GeneratedDossier]:
        """Up to ``count`` honest dossiers of ``procedure``."""
        produced = _HONEST[procedure](self, **options)
        for made, (dossier, applicant, others) in enumerate(produced):
            if made >= count:
                return
            yield GeneratedDossier(dossier, self.expected(dossier, applicant, others), applicant)


def _with_entry(generated: GeneratedDossier, entry: Discrepancy) -> GeneratedDossier:
    return GeneratedDossier(generated.dossier, generated.expected, generated.applicant, entry)


_R5_PROCEDURES = frozenset({
    Procedure.BIRTH_REGISTRATION, Procedure.RESIDENCE_REGISTRATION,
    Procedure.CRIMINAL_RECORD_CERTIFICATE,
})  # fmt: skip
_Honest = Iterator[tuple[Dossier, int, list[int]]]


def _people(gen: _Generator) -> Iterator[int]:
    """Clean card holders in a spread-out order."""
    n = gen.population.citizens
    for step in range(n):
        index = (step * 104_729 + 17) % n
        if gen.clean(index) and gen.make.has_card(index):
            yield index


def _honest_person(build: Callable[[DossierFactory, int], Dossier]) -> Callable[..., _Honest]:
    def produce(gen: _Generator, **_: object) -> _Honest:
        for index in _people(gen):
            yield build(gen.make, index), index, []

    return produce


def _honest_birth(gen: _Generator, **_: object) -> _Honest:
    for child in range(gen.population.citizens):
        p = gen.population.person(child)
        parents = [q for q in (p.mother, p.father) if q is not None]
        if (
            p.relationship == "CHILD"
            and len(parents) == 2
            and p.mother is not None
            and all(gen.clean(q) for q in (child, *parents))
            and gen.make.has_card(p.mother)
        ):
            yield gen.make.birth(child), p.mother, parents


def _honest_land(gen: _Generator, **_: object) -> _Honest:
    for household in range(gen.population.household_count):
        head = gen.population.household(household).first
        for slot in range(SLOTS):
            if slot not in (0, *FARM_SLOTS):
                continue
            parcel = gen.land.parcel(SLOTS * household + slot)
            owners = [o for o, _, _ in parcel.owners] if parcel else []
            clean = parcel and head in owners and all(gen.clean(o) for o in owners)
            if parcel and clean and parcel in gen.free_parcels(head):
                made = gen.land_dossier(head, parcel)
                yield made.dossier, head, list(owners)
                break


def _honest_vehicle(gen: _Generator, **_: object) -> _Honest:
    for index in _people(gen):
        vehicles = gen.fleet.vehicles_of(index)
        if vehicles and gen.make.adult(index):
            buyer = gen.counterpart(index + 1, {index})
            yield gen.make.vehicle_transfer(index, vehicles[0], buyer), index, [buyer]


def _honest_business(gen: _Generator, **_: object) -> _Honest:
    registry = enterprises_of(gen.province)
    for number in range(registry.count):
        enterprise = registry.enterprise(number)
        people = {m.index for m in enterprise.members} | set(enterprise.representatives)
        if enterprise.status in ("DISSOLVED", "BANKRUPT") or not all(
            gen.clean(i) and gen.make.adult(i) for i in people
        ):
            continue
        if any(_serving(gen, i) for i in enterprise.representatives):
            continue
        applicant = enterprise.representatives[0]
        if gen.make.has_card(applicant):
            yield gen.make.enterprise_change(enterprise), applicant, sorted(people - {applicant})


def _serving(gen: _Generator, index: int) -> bool:
    if not gen.judicial.has_record(index):
        return False
    return any(c.execution == "SERVING" for c in gen.judicial.record(index).convictions)


def _honest_licence(
    gen: _Generator, licence_number_of: Callable[[int], str | None] | None = None, **_: object
) -> _Honest:
    if licence_number_of is None:
        return
    for index in _people(gen):
        if licence_number_of(index) is not None:
            yield gen.make.licence_renewal(index, licence_number_of), index, []


_HONEST: dict[Procedure, Callable[..., _Honest]] = {
    Procedure.CRIMINAL_RECORD_CERTIFICATE: _honest_person(DossierFactory.criminal_record),
    Procedure.RESIDENCE_REGISTRATION: _honest_person(DossierFactory.residence),
    Procedure.BIRTH_REGISTRATION: _honest_birth,
    Procedure.LAND_TRANSFER: _honest_land,
    Procedure.VEHICLE_TRANSFER: _honest_vehicle,
    Procedure.BUSINESS_REGISTRATION: _honest_business,
    Procedure.DRIVING_LICENCE_RENEWAL: _honest_licence,
}


def generate_dossiers(
    province: Province,
    *,
    honest_per_procedure: int = 20,
    at: datetime | None = None,
    licence_number_of: Callable[[int], str | None] | None = None,
) -> Generation:
    """Dossiers for every manifest entry and honest ones for every procedure.

    Args:
        province: the synthetic province (its manifest is the ground truth).
        honest_per_procedure: honest dossiers per procedure (fewer when the province has
            too few suitable people).
        at: submission time of every dossier; the province clock by default.
        licence_number_of: the number of a person's renewable driving licence, or None;
            licences are not part of the province's public truth, so honest licence
            renewals are only generated when the caller supplies this.
    """
    gen = _Generator(province, at or province.timeline.now)
    out = Generation()
    for entry in province.manifest():
        if lost_at_source(province, entry.index):
            out.skipped["dead_lettered_at_source"] += 1
            out.unreachable.append(entry)
            continue
        made = gen.for_entry(entry)
        if isinstance(made, str):
            out.skipped[made] += 1
        else:
            out.dossiers.append(made)
    for procedure in Procedure:
        out.dossiers.extend(
            gen.honest(procedure, honest_per_procedure, licence_number_of=licence_number_of)
        )
    return out
