"""Injected discrepancies: the recorded ground truth for measuring the cross-checker.

Each person carries at most one discrepancy, drawn deterministically from the seed and
the person's index at ``ProvinceConfig.discrepancy_rate`` per type. The source that
*shows* a discrepancy (its owner, :data:`SHOWN_BY`) renders its record of that person
with the variant; every other source stays truthful. :func:`manifest` lists them all.

=====================  ====================================================  ===============
type                   what the owner source holds                           owner
=====================  ====================================================  ===============
name_diacritics        the name with diacritics stripped (legacy ASCII)      identity_cards
name_mismatch          another given name                                    identity_cards
dob_mismatch           another day of birth (same year)                      identity_cards
sex_mismatch           the other sex                                         health_insurance
pin_inconsistent       a birth year that disagrees with the PIN's digits     population
deceased_elsewhere     a death record while the population DB says alive     civil_status
missing_from_source    no record at all                                      residence
stale_record           a record last updated years ago                       residence
address_code_reuse     the household's ward in old codes, whose 2025 ward has  population,
                       another code (a bare-code comparison misleads)        residence
split_ward             the household's ward was split in 2025, no street     population,
                       disambiguates                                         residence
tax_debt               outstanding tax debt                                  tax
parcel_encumbered      a parcel the person owns is disputed or seized        land
vehicle_stolen         a vehicle the person owns is flagged stolen           vehicles
id_card_invalid        the identity card is expired or revoked               identity_cards
=====================  ====================================================  ===============
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.normalise.names import strip_diacritics

if TYPE_CHECKING:
    from hub.province.people import Person
    from hub.province.province import Province


class DiscrepancyType(StrEnum):
    """The kinds of injected discrepancy."""

    NAME_DIACRITICS = "name_diacritics"
    NAME_MISMATCH = "name_mismatch"
    DOB_MISMATCH = "dob_mismatch"
    SEX_MISMATCH = "sex_mismatch"
    PIN_INCONSISTENT = "pin_inconsistent"
    DECEASED_ELSEWHERE = "deceased_elsewhere"
    MISSING_FROM_SOURCE = "missing_from_source"
    STALE_RECORD = "stale_record"
    ADDRESS_CODE_REUSE = "address_code_reuse"
    SPLIT_WARD = "split_ward"
    TAX_DEBT = "tax_debt"
    PARCEL_ENCUMBERED = "parcel_encumbered"
    VEHICLE_STOLEN = "vehicle_stolen"
    ID_CARD_INVALID = "id_card_invalid"


T = DiscrepancyType

#: Which sources show each discrepancy (the others hold the truth).
SHOWN_BY: dict[DiscrepancyType, tuple[str, ...]] = {
    T.NAME_DIACRITICS: ("identity_cards",),
    T.NAME_MISMATCH: ("identity_cards",),
    T.DOB_MISMATCH: ("identity_cards",),
    T.SEX_MISMATCH: ("health_insurance",),
    T.PIN_INCONSISTENT: ("population",),
    T.DECEASED_ELSEWHERE: ("civil_status",),
    T.MISSING_FROM_SOURCE: ("residence",),
    T.STALE_RECORD: ("residence",),
    T.ADDRESS_CODE_REUSE: ("population", "residence"),
    T.SPLIT_WARD: ("population", "residence"),
    T.TAX_DEBT: ("tax",),
    T.PARCEL_ENCUMBERED: ("land",),
    T.VEHICLE_STOLEN: ("vehicles",),
    T.ID_CARD_INVALID: ("identity_cards",),
}

#: Types decided per household (by its head) because the address is the household's.
HOUSEHOLD_TYPES = (T.ADDRESS_CODE_REUSE, T.SPLIT_WARD)
ORDER: tuple[DiscrepancyType, ...] = tuple(DiscrepancyType)


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One injected discrepancy.

    Attributes:
        type: its kind.
        subject: the PIN of the person it concerns (a household's head for address types).
        index: the person's index in the synthetic population.
        sources: the sources that show it.
    """

    type: DiscrepancyType
    subject: str
    index: int
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The manifest entry as JSON."""
        return {"type": self.type.value, "subject": self.subject, "sources": list(self.sources)}


#: Identity cards are issued from age 14 (the identity-card source's rule on its
#: reference date, 2024-01-01): younger people hold none to show a card discrepancy on.
CARD_TYPES = (T.NAME_DIACRITICS, T.NAME_MISMATCH, T.DOB_MISMATCH, T.ID_CARD_INVALID)
LAST_CARD_BIRTH_YEAR = 2009


def eligible(kind: DiscrepancyType, person: Person) -> bool:
    """Whether the source that shows ``kind`` holds a record of ``person`` to show it on.

    Card discrepancies need a card holder (and a name with marks to lose, for the
    diacritics type), an encumbered parcel a household head (who
    holds the home plot), insurance, tax and vehicle ones a living person (the sources
    hold no current record of people who died before the initial load).
    """
    if kind is T.NAME_DIACRITICS and strip_diacritics(person.full_name) == person.full_name:
        return False  # a name written without marks cannot lose them
    if kind in CARD_TYPES:  # a dead holder's card is revoked, which would mask the rest
        return person.birth.year <= LAST_CARD_BIRTH_YEAR and person.status == "ALIVE"
    if kind is T.PARCEL_ENCUMBERED:  # every household head holds the household's home plot
        return person.relationship == "HEAD" and person.status != "DECEASED"
    if kind in (T.SEX_MISMATCH, T.TAX_DEBT, T.VEHICLE_STOLEN):
        return person.status != "DECEASED"
    if kind is T.DECEASED_ELSEWHERE:  # the population must still say alive
        return person.status == "ALIVE"
    return True


def draw(seed: int, rate: float, index: int, salt: str = "discrepancy") -> DiscrepancyType | None:
    """The discrepancy type of person ``index`` (at most one), or None.

    Each type is drawn with probability ``rate``; types are mutually exclusive.
    """
    if rate <= 0:
        return None
    from hub.province.people import derive_seed

    u = derive_seed(seed, salt, index) % 1_000_000 / 1_000_000
    slot = int(u / rate)
    return ORDER[slot] if slot < len(ORDER) else None


def manifest(province: Province) -> Iterator[Discrepancy]:
    """Every discrepancy injected in ``province``, in person order."""
    population = province.population
    for index in range(population.citizens):
        kind = province.discrepancy_of(index)
        if kind is not None:
            yield Discrepancy(kind, population.pin(index), index, SHOWN_BY[kind])
