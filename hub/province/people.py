"""The synthetic province's people and households, generated lazily and deterministically.

Nothing is stored per person: ``person(i)`` is recomputed from ``(seed, i)`` and the
household it belongs to, so a province of a million people costs a few megabytes (the
household boundaries) and any source can read any slice of it. Households are contiguous
index ranges: member 0 is the head, member 1 the spouse when there is one, the rest are
children whose father and mother are the head and spouse.

PINs follow DOMAIN.md: the birth-registration province prefix, the sex-and-century digit,
the two year digits and a serial that is unique per person (``(i * 7919 + k) mod 10^6``
is a bijection for i < 10^6, so a province holds at most a million people).
"""

from __future__ import annotations

import bisect
import hashlib
import random
from array import array
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from hub.normalise.admin_units import AdminUnits, OldWard
from hub.normalise.dates import PartialDate
from hub.normalise.identifiers import make_pin
from hub.province import vocabulary as v
from hub.province.discrepancies import DiscrepancyType, draw
from hub.province.timeline import Change, Timeline

MAX_CITIZENS = 1_000_000
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
#: Records of the initial load share timestamps in groups of this size (as batch loads do).
TIMESTAMP_GROUP = 7


def derive_seed(*parts: object) -> int:
    """A stable 64-bit seed from any parts (independent of PYTHONHASHSEED)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


@dataclass(frozen=True, slots=True)
class Household:
    """A household: its id, member index range, and where it lives (old-list ward)."""

    number: int
    household_id: str
    first: int
    size: int
    has_spouse: bool
    head_sex: str
    head_year: int
    head_province: str
    head_family: str
    spouse_year: int
    spouse_province: str
    spouse_family: str
    ward: OldWard
    street: str

    @property
    def members(self) -> range:
        """Indexes of the members, head first."""
        return range(self.first, self.first + self.size)


@dataclass(frozen=True, slots=True)
class Person:
    """One synthetic person, as the truth every source derives its view from."""

    index: int
    pin: str
    legacy_id: str | None
    family_name: str
    middle_name: str
    given_name: str
    sex: str
    birth: PartialDate
    birth_province: str
    ethnicity: str
    religion: str
    marital_status: str
    household_id: str
    relationship: str
    father: int | None
    mother: int | None
    spouse: int | None
    ward: OldWard
    street: str
    status: str
    death: PartialDate | None
    version: int
    updated_at: datetime

    @property
    def full_name(self) -> str:
        """Family, middle and given name, in that order."""
        return f"{self.family_name} {self.middle_name} {self.given_name}"


class Population:
    """The people of one synthetic province.

    Args:
        seed: everything derives from it: same seed, same people.
        citizens: number of people (at most :data:`MAX_CITIZENS`).
        province_code: old-list code of the province whose wards people live in.
        timeline: changes over time (moves, deaths) applied on top of the initial state.
        discrepancy_rate: see :class:`~hub.province.province.ProvinceConfig`; decides which
            households live in split or code-reused wards.
    """

    def __init__(
        self,
        seed: int,
        citizens: int,
        province_code: str,
        timeline: Timeline,
        discrepancy_rate: float = 0.0,
    ) -> None:
        if not 1 <= citizens <= MAX_CITIZENS:
            raise ValueError(f"citizens must be between 1 and {MAX_CITIZENS}")
        self.seed = seed
        self.citizens = citizens
        self.province_code = province_code
        self.timeline = timeline
        units = AdminUnits.load()
        self.discrepancy_rate = discrepancy_rate
        self.all_wards = units.old_wards_in_province(province_code)
        split = set(units.split_old_wards(province_code))
        # Old codes that now belong to another 2025 ward: comparing bare codes across the
        # reform points at the wrong place (the "code reuse" hazard of DOMAIN.md).
        reused = {
            w.code
            for w in self.all_wards
            if w.code not in split and units.to_2025(w.code).ward_code != w.code
        }
        #: Wards whose 2025 mapping is unambiguous and keeps the old code: where
        #: people live unless an address discrepancy is injected for their household.
        self.wards = tuple(w for w in self.all_wards if w.code not in split | reused)
        self.split_wards = tuple(w for w in self.all_wards if w.code in split)
        self.reused_wards = tuple(w for w in self.all_wards if w.code in reused)
        self._serial_offset = derive_seed(seed, "serial") % 1_000_000
        self._starts = array("I")
        rng = random.Random(derive_seed(seed, "households"))
        sizes = (1, 2, 3, 4, 5, 6)
        weights = (14, 22, 26, 22, 10, 6)
        first = 0
        while first < citizens:
            self._starts.append(first)
            first += rng.choices(sizes, weights)[0]
        self.household = lru_cache(maxsize=4096)(self._household)
        # Sources read a household's members together (parents' PINs in a child's record).
        self.initial = lru_cache(maxsize=16_384)(self._make_initial)  # type: ignore[method-assign]

    @property
    def household_count(self) -> int:
        """Number of households."""
        return len(self._starts)

    def base_updated_at(self, index: int) -> datetime:
        """When the initial record of person ``index`` was last updated."""
        return BASE_TIME + timedelta(seconds=index // TIMESTAMP_GROUP)

    @property
    def initial_load_end(self) -> datetime:
        """A time after every initial record's update time."""
        return self.base_updated_at(self.citizens - 1) + timedelta(seconds=1)

    def household_of(self, index: int) -> int:
        """Number of the household person ``index`` belongs to."""
        return bisect.bisect_right(self._starts, index) - 1

    def _household(self, number: int) -> Household:
        first = self._starts[number]
        last = self._starts[number + 1] if number + 1 < len(self._starts) else self.citizens
        rng = random.Random(derive_seed(self.seed, "household", number))
        size = last - first
        head_sex = "MALE" if rng.random() < 0.72 else "FEMALE"
        head_year = rng.randint(1938, 2000)
        has_spouse = size >= 2 and rng.random() < 0.85
        return Household(
            number=number,
            household_id=f"{self.province_code}{number + 1:09d}",
            first=first,
            size=size,
            has_spouse=has_spouse,
            head_sex=head_sex,
            head_year=head_year,
            head_province=_weighted(rng, v.BIRTH_PROVINCES),
            head_family=_weighted(rng, v.FAMILY_NAMES),
            spouse_year=min(2003, max(1938, head_year + rng.randint(-6, 6))),
            spouse_province=_weighted(rng, v.BIRTH_PROVINCES),
            spouse_family=_weighted(rng, v.FAMILY_NAMES),
            ward=self._ward_of(first, rng),
            street=f"Số {rng.randint(1, 400)}, đường {rng.choice(v.STREETS)}, "
            f"khu phố {rng.randint(1, 12)}",
        )

    def _ward_of(self, head: int, rng: random.Random) -> OldWard:
        kind = draw(self.seed, self.discrepancy_rate, head)
        wards = self.wards
        if kind is DiscrepancyType.SPLIT_WARD and self.split_wards:
            wards = self.split_wards
        elif kind is DiscrepancyType.ADDRESS_CODE_REUSE and self.reused_wards:
            wards = self.reused_wards
        return wards[rng.randrange(len(wards))]

    def pin(self, index: int) -> str:
        """The PIN of person ``index`` (cheaper than building the person)."""
        return self.person(index).pin

    def person(self, index: int) -> Person:
        """Person ``index`` as of the timeline's current time."""
        person = self.initial(index)
        for change in self.timeline.changes_of(index):
            person = apply_change(person, change, self)
        return person

    def initial(self, index: int) -> Person:
        """Person ``index`` before any timeline change (memoised in ``__init__``)."""
        return self._make_initial(index)

    def serial_for(self, index: int) -> int:
        """The PIN serial of person ``index``.

        Defined for any ``index`` >= 0: an index beyond the population gives a serial no
        resident has (for people outside the province, such as a late spouse).
        """
        return (index * 7919 + self._serial_offset) % 1_000_000

    def _make_initial(self, index: int) -> Person:
        if not 0 <= index < self.citizens:
            raise IndexError(index)
        hh = self.household(self.household_of(index))
        role = index - hh.first
        rng = random.Random(derive_seed(self.seed, "person", index))
        father = mother = spouse = None
        head, partner = hh.first, hh.first + 1 if hh.has_spouse else None
        male_parent, female_parent = (head, partner) if hh.head_sex == "MALE" else (partner, head)
        if role == 0:
            relationship, sex, year, province = "HEAD", hh.head_sex, hh.head_year, hh.head_province
            family, spouse = hh.head_family, partner
        elif role == 1 and hh.has_spouse:
            sex = "FEMALE" if hh.head_sex == "MALE" else "MALE"
            relationship, year, province = "SPOUSE", hh.spouse_year, hh.spouse_province
            family, spouse = hh.spouse_family, head
        else:
            relationship = "CHILD"
            sex = "MALE" if rng.random() < 0.51 else "FEMALE"
            parent_year = max(hh.head_year, hh.spouse_year if hh.has_spouse else 0)
            year = min(2024, parent_year + rng.randint(20, 40))
            province = "074" if rng.random() < 0.85 else _weighted(rng, v.BIRTH_PROVINCES)
            father, mother = male_parent, female_parent
            family = (
                hh.head_family if hh.head_sex == "MALE" or not hh.has_spouse else (hh.spouse_family)
            )
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        precision_draw = rng.random()
        if year < 1960 and precision_draw < 0.3:
            birth = PartialDate(year, None, None)
        elif year < 1960 and precision_draw < 0.36:
            birth = PartialDate(year, month, None)
        else:
            birth = PartialDate(year, month, day)
        middle = rng.choice(v.MIDDLE_NAMES_MALE if sex == "MALE" else v.MIDDLE_NAMES_FEMALE)
        given = rng.choice(v.GIVEN_NAMES_MALE if sex == "MALE" else v.GIVEN_NAMES_FEMALE)
        serial = self.serial_for(index)
        if relationship in ("HEAD", "SPOUSE"):
            marital = "MARRIED" if hh.has_spouse else rng.choice(("SINGLE", "WIDOWED", "DIVORCED"))
        else:
            marital = "SINGLE"
        status, death = "ALIVE", None
        fate = rng.random()
        # A head whose household carries an address discrepancy stays alive: a dead
        # applicant's cancelled residence would mask the address finding.
        flagged_head = role == 0 and draw(self.seed, self.discrepancy_rate, index) in (
            DiscrepancyType.ADDRESS_CODE_REUSE,
            DiscrepancyType.SPLIT_WARD,
        )
        if fate < 0.012 and year < 1995 and not flagged_head:
            status = "DECEASED"
            died = rng.randint(max(year + 1, 2005), 2023)
            death = PartialDate(died, rng.randint(1, 12), rng.randint(1, 28))
        elif fate < 0.013:
            status = "MISSING"
        return Person(
            index=index,
            pin=make_pin(province, sex, year, serial),
            legacy_id=f"28{(index * 104729 + self._serial_offset) % 10_000_000:07d}"
            if year < 1995
            else None,
            family_name=family,
            middle_name=middle,
            given_name=given,
            sex=sex,
            birth=birth,
            birth_province=province,
            ethnicity=_weighted(rng, v.ETHNICITIES),
            religion=_weighted(rng, v.RELIGIONS),
            marital_status=marital,
            household_id=hh.household_id,
            relationship=relationship,
            father=father,
            mother=mother,
            spouse=spouse,
            ward=hh.ward,
            street=hh.street,
            status=status,
            death=death,
            version=1,
            updated_at=self.base_updated_at(index),
        )


def apply_change(person: Person, change: Change, population: Population) -> Person:
    """The person after ``change`` (a death of the dead only bumps the version)."""
    version, at = person.version + 1, change.at
    if change.kind == "death" and person.status != "DECEASED":
        death = PartialDate(at.year, at.month, at.day)
        return replace(person, status="DECEASED", death=death, version=version, updated_at=at)
    if change.kind == "move":
        wards = population.wards
        ward = wards[derive_seed(population.seed, "move", person.index, at) % len(wards)]
        street = f"Số {at.day + 1}, đường Mới"
        return replace(person, ward=ward, street=street, version=version, updated_at=at)
    return replace(person, version=version, updated_at=at)
