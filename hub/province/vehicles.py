"""The synthetic province's vehicles, generated lazily and deterministically per owner.

Vehicles belong to people: :meth:`Fleet.vehicles_of` draws, from ``(seed, index)``, how
many vehicles person ``index`` owns (none for a minor), their kind, brand, chassis and
engine numbers, registration date and plate. Nothing is stored. A person with the
``vehicle_stolen`` discrepancy owns at least one vehicle, the first of which is flagged
stolen (even a minor: an inherited vehicle is registered to its heir).

Plates are unique: the vehicle number ``2 * index + n`` is permuted over a space of two
million and split into a series and a five-digit number, so no two vehicles of one kind
share a plate (cars ``61A-123.45``, motorbikes ``61-B1 234.56``, local code 61 for Binh
Duong).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from hub.province.discrepancies import DiscrepancyType
from hub.province.people import MAX_CITIZENS, derive_seed
from hub.province.province import Province

LOCAL_CODE = "61"
#: People born after this year own no vehicle (minors in the province's present).
LAST_ADULT_YEAR = 2006
CAR_SERIES = "ABCDEFGHKLMNPRSTUVXY"
BIKE_SERIES = tuple(f"{letter}{digit}" for letter in "BCDE" for digit in range(1, 6))
CAR_BRANDS = ("Toyota", "Hyundai", "Kia", "Mazda", "Ford", "VinFast", "Honda", "Mitsubishi")
BIKE_BRANDS = ("Honda", "Yamaha", "Suzuki", "SYM", "Piaggio", "VinFast")
_SPACE = 2 * MAX_CITIZENS
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One registered vehicle, as the truth the vehicle register derives its rows from.

    Attributes:
        plate: canonical plate (``61A-123.45`` or ``61-B1 234.56``).
        owner: index of the owner in the population.
        number: the owner's n-th vehicle (0 or 1).
        kind: ``CAR`` or ``MOTORBIKE``.
        brand: make.
        chassis: chassis (frame) number.
        engine: engine number.
        registered: date of first registration.
        stolen: flagged stolen.
    """

    plate: str
    owner: int
    number: int
    kind: str
    brand: str
    chassis: str
    engine: str
    registered: date
    stolen: bool


class Fleet:
    """The vehicles of one synthetic province.

    Args:
        province: the province whose people own them.
    """

    def __init__(self, province: Province) -> None:
        self.province = province
        self.seed = province.config.seed
        self._offset = derive_seed(self.seed, "plates") % _SPACE

    def vehicles_of(self, index: int) -> list[Vehicle]:
        """The vehicles person ``index`` owns (deterministic, possibly none)."""
        person = self.province.population.person(index)
        rng = random.Random(derive_seed(self.seed, "vehicles", index))
        stolen = self.province.discrepancy_of(index) is DiscrepancyType.VEHICLE_STOLEN
        draw = rng.random()
        count = 0 if draw < 0.35 else 1 if draw < 0.8 else 2
        if person.birth.year > LAST_ADULT_YEAR:
            count = 0
        if stolen:
            count = max(count, 1)
        return [self._vehicle(index, n, rng, stolen and n == 0) for n in range(count)]

    def _vehicle(self, owner: int, n: int, rng: random.Random, stolen: bool) -> Vehicle:
        car = rng.random() < 0.2
        permuted = ((2 * owner + n) * 7919 + self._offset) % _SPACE
        series, number = divmod(permuted, 100_000)
        digits = f"{number:05d}"
        if car:
            plate = f"{LOCAL_CODE}{CAR_SERIES[series]}-{digits[:3]}.{digits[3:]}"
            brand = rng.choice(CAR_BRANDS)
            chassis = "RL" + "".join(rng.choice(_VIN_CHARS) for _ in range(15))
        else:
            plate = f"{LOCAL_CODE}-{BIKE_SERIES[series]} {digits[:3]}.{digits[3:]}"
            brand = rng.choice(BIKE_BRANDS)
            chassis = "RLH" + "".join(rng.choice(_VIN_CHARS) for _ in range(14))
        engine = "".join(rng.choice(_VIN_CHARS[10:]) for _ in range(3)) + str(
            rng.randrange(10**7)
        ).zfill(7)
        registered = date(2008, 1, 1) + timedelta(days=rng.randrange(16 * 365 - 1))
        return Vehicle(
            plate=plate,
            owner=owner,
            number=n,
            kind="CAR" if car else "MOTORBIKE",
            brand=brand,
            chassis=chassis,
            engine=engine,
            registered=registered,
            stolen=stolen,
        )
