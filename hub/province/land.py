"""Land parcels of the synthetic province, generated lazily from ``(seed, household)``.

Each household ``h`` may hold up to :data:`SLOTS` parcels, numbered ``SLOTS * h + slot``:

======  ======================================================  =======================
slot    parcel                                                  exists
======  ======================================================  =======================
0       the home plot (ONT or ODT), owned by the head           90 % (always when an
        (with the spouse as co-owner of common property)       owner must show
                                                                ``parcel_encumbered``)
1-4     farm plots (LUC, CLN, BHK, NTS), same owners: farm      35 % of households hold
        land is fragmented into several small plots             1 to 4 of them
5       a plot of a child (an adult, or a minor holding an      5 % (always for a child
        inherited plot through a guardian)                      with ``parcel_encumbered``)
======  ======================================================  =======================

A parcel's id is the 12-character GeoHash of a synthetic point inside the province's
bounding box; its legacy key is the map sheet and parcel number within its commune.
Disputes, seizures and provisional measures only appear on parcels of people with the
``parcel_encumbered`` discrepancy (the ground truth); mortgages and unpaid financial
obligations appear at random. An owner's death (from the timeline) marks the owner
deceased and updates the parcel at the time of death.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from hub.normalise.admin_units import OldWard
from hub.province.discrepancies import DiscrepancyType
from hub.province.people import BASE_TIME, derive_seed

if TYPE_CHECKING:
    from hub.province.province import Province

#: Bounding box (lat_min, lon_min, lat_max, lon_max) of the old Binh Duong province [verify].
BBOX = (10.90, 106.45, 11.40, 106.90)
#: Households whose initial parcels share one update time (as batch loads do).
HOUSEHOLDS_PER_SECOND = 4
#: Parcel numbers per household (see the module docstring).
SLOTS = 6
FARM_SLOTS = range(1, 5)
CHILD_SLOT = 5
GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
HOME_PURPOSES = ("ONT", "ODT")
FARM_PURPOSES = ("LUC", "CLN", "BHK", "NTS")
BANKS = ("Ngân hàng TMCP Ngoại thương Việt Nam", "Ngân hàng Nông nghiệp và PTNT Việt Nam",
         "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam", "Ngân hàng TMCP Á Châu")  # fmt: skip
SERIES = ("BA", "BK", "BX", "CH", "CS", "DA", "DB")


def geohash(lat: float, lon: float, length: int = 12) -> str:
    """The GeoHash of a point (base-32, longitude bit first)."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    out: list[str] = []
    value, bits, even = 0, 0, True
    while len(out) < length:
        span, coordinate = (lon_range, lon) if even else (lat_range, lat)
        middle = (span[0] + span[1]) / 2
        value <<= 1
        if coordinate > middle:
            value |= 1
            span[0] = middle
        else:
            span[1] = middle
        even, bits = not even, bits + 1
        if bits == 5:
            out.append(GEOHASH_ALPHABET[value])
            value, bits = 0, 0
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Encumbrance:
    """A restriction registered on a parcel."""

    kind: str  # MORTGAGE, DISPUTE, SEIZURE, PROVISIONAL_MEASURE
    registered_on: date
    holder: str
    reference: str


@dataclass(frozen=True, slots=True)
class Parcel:
    """One parcel as of the timeline's current time."""

    number: int
    parcel_id: str
    lat: float
    lon: float
    ward: OldWard
    map_sheet: int
    parcel_no: int
    area_m2: float
    purpose: str
    term_until: date | None
    owners: tuple[tuple[int, int, bool], ...]  # (person index, share %, deceased)
    common_property: bool
    certificate_serial: str
    certificate_date: date
    encumbrances: tuple[Encumbrance, ...]
    unpaid_vnd: int
    version: int
    updated_at: datetime


class LandRegistry:
    """The parcels of one province (nothing stored: each parcel is recomputed).

    Args:
        province: the synthetic province.
    """

    def __init__(self, province: Province) -> None:
        self.province = province
        self.population = province.population

    def initial_updated_at(self, household: int) -> datetime:
        """Update time of a household's parcels in the initial load."""
        return BASE_TIME + timedelta(seconds=household // HOUSEHOLDS_PER_SECOND)

    def first_household_at(self, moment: datetime) -> int:
        """The first household whose initial update time is at or after ``moment``."""
        seconds = int((moment - BASE_TIME).total_seconds())
        return max(0, seconds * HOUSEHOLDS_PER_SECOND)

    def owners_of(self, number: int) -> tuple[int, ...] | None:
        """Indexes of the owners of parcel ``number``, or None when it does not exist."""
        household, slot = divmod(number, SLOTS)
        hh = self.population.household(household)
        seed = self.province.config.seed
        rng = random.Random(derive_seed(seed, "parcel", number))
        heads = (hh.first, hh.first + 1) if hh.has_spouse else (hh.first,)
        if slot < CHILD_SLOT:
            if slot == 0:
                exists = rng.random() < 0.9 or any(self._encumbered(i) for i in heads)
            else:
                farm = random.Random(derive_seed(seed, "farm", household))
                exists = farm.random() < 0.35 and slot <= farm.randint(1, 4)
            if not exists:
                return None
            # A married couple's land is mostly common property (both are co-owners).
            return heads if rng.random() < 0.85 else heads[:1]
        children = hh.members[len(heads) :]
        adults = [i for i in children if self._adult(i)]
        # A minor may hold land too (inherited or given, managed by a guardian).
        flagged_children = [i for i in children if self._encumbered(i)]
        if flagged_children:
            return (flagged_children[0],)
        return (adults[rng.randrange(len(adults))],) if adults and rng.random() < 0.05 else None

    def parcel(self, number: int) -> Parcel | None:
        """Parcel ``number`` as of now, or None when it does not exist."""
        owners = self.owners_of(number)
        if owners is None:
            return None
        household, slot = divmod(number, SLOTS)
        hh = self.population.household(household)
        rng = random.Random(derive_seed(self.province.config.seed, "parcel-data", number))
        lat = rng.uniform(BBOX[0], BBOX[2])
        lon = rng.uniform(BBOX[1], BBOX[3])
        farm = slot in FARM_SLOTS
        purpose = rng.choice(FARM_PURPOSES if farm else HOME_PURPOSES)
        certified = date(2000, 1, 1) + timedelta(days=rng.randrange(8700))
        deaths = [self.province.timeline.death_of(i, self.population) for i in owners]
        changes = [c for c in deaths if c is not None]
        share = 100 // len(owners)
        owner_rows = tuple((i, share, self._dead(i)) for i in owners)
        return Parcel(
            number=number,
            parcel_id=geohash(lat, lon),
            lat=lat,
            lon=lon,
            ward=hh.ward,
            map_sheet=rng.randint(1, 80),
            parcel_no=rng.randint(1, 900),
            area_m2=round(rng.uniform(500, 8000) if farm else rng.uniform(45, 350), 1),
            purpose=purpose,
            term_until=date(certified.year + 50, certified.month, 15) if farm else None,
            owners=owner_rows,
            common_property=len(owners) == 2,
            certificate_serial=f"{rng.choice(SERIES)} {rng.randrange(1_000_000):06d}",
            certificate_date=certified,
            encumbrances=self._encumbrances(rng, owners, slot, certified),
            unpaid_vnd=rng.randrange(5, 300) * 1_000_000 if rng.random() < 0.03 else 0,
            version=1 + len(changes),
            updated_at=max((c.at for c in changes), default=self.initial_updated_at(household)),
        )

    def _encumbrances(
        self, rng: random.Random, owners: tuple[int, ...], slot: int, certified: date
    ) -> tuple[Encumbrance, ...]:
        found: list[Encumbrance] = []
        if rng.random() < 0.15:
            on = certified + timedelta(days=rng.randrange(30, 2000))
            found.append(
                Encumbrance("MORTGAGE", on, rng.choice(BANKS), f"HĐTC-{rng.randrange(10**6)}")
            )
        if slot not in FARM_SLOTS and any(self._encumbered(i) for i in owners):
            on = date(2022, 1, 1) + timedelta(days=rng.randrange(700))
            if rng.random() < 0.5:
                court = "Tòa án nhân dân tỉnh Bình Dương"
                found.append(Encumbrance("DISPUTE", on, court, f"{rng.randrange(1, 300)}/TB-TLVA"))
                if rng.random() < 0.4:
                    ruling = f"{rng.randrange(1, 90)}/QĐ-BPKCTT"
                    found.append(Encumbrance("PROVISIONAL_MEASURE", on, court, ruling))
            else:
                office = "Chi cục Thi hành án dân sự thành phố Thủ Dầu Một"
                found.append(
                    Encumbrance("SEIZURE", on, office, f"{rng.randrange(1, 500)}/QĐ-CCTHADS")
                )
        return tuple(found)

    def _encumbered(self, index: int) -> bool:
        return self.province.discrepancy_of(index) is DiscrepancyType.PARCEL_ENCUMBERED

    def _adult(self, index: int) -> bool:
        return self.population.person(index).birth.year <= 2005

    def _dead(self, index: int) -> bool:
        return self.population.person(index).status == "DECEASED"

    def affected_by(self, index: int) -> list[int]:
        """Numbers of the parcels (existing or not) whose owners include person ``index``."""
        household = self.population.household_of(index)
        hh = self.population.household(household)
        candidates = [SLOTS * household + CHILD_SLOT]
        if index == hh.first or (hh.has_spouse and index == hh.first + 1):
            candidates = [SLOTS * household + slot for slot in range(CHILD_SLOT)]
        return [n for n in candidates if index in (self.owners_of(n) or ())]
