"""The province's driving licences, generated deterministically from its adults.

About 60% of the adults hold one licence each (``licence_of(index)``; nothing is stored).
Licences issued before 2013 are often still the old paper form, which never recorded
the holder's PIN: such records are *unlinkable*, not errors. Classes follow the law in
force at issue: the old A1..FE classes before 2025-01-01, the new A1..DE classes after
(Law on Road Traffic Order and Safety 2024 [verify]).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from hub.province import Province, derive_seed

OLD_CLASSES = ("A1", "A2", "A3", "A4", "B1", "B2", "C", "D", "E", "FB2", "FC", "FD", "FE")
NEW_CLASSES = ("A1", "A", "B1", "B", "C1", "C", "D1", "D2", "D", "BE", "C1E", "CE", "D1E",
               "D2E", "DE")  # fmt: skip
#: Class sets a holder typically has, per law generation.
_OLD_SETS = (("A1",), ("A1", "B2"), ("B2",), ("A1", "C"), ("A2", "B2"), ("A1", "D"), ("E",))
_NEW_SETS = (("A1",), ("A",), ("A", "B"), ("B",), ("A1", "C1"), ("C",), ("D",))
NEW_CLASSES_FROM = date(2025, 1, 1)
LAST_ISSUE = date(2025, 12, 31)
STATUSES = ("VALID", "SUSPENDED", "REVOKED")
_AUTHORITIES = ("SO GTVT BINH DUONG", "SO GTVT TP HO CHI MINH", "PHONG CSGT CA TINH BINH DUONG")
#: Offset of licence serials; numbers are "74" + 10 digits [verify].
LICENCE_PREFIX = "74"


@dataclass(frozen=True, slots=True)
class Licence:
    """One driving licence in its initial state."""

    number: str
    holder: int
    paper: bool
    classes: tuple[str, ...]
    issued: date
    expires: date | None
    status: str
    authority: str


def _expiry(classes: tuple[str, ...], issued: date) -> date | None:
    if all(c.startswith("A") for c in classes):
        return None  # motorcycle classes have no term
    years = 10 if all(c in ("B", "B1", "B2", "A1", "A", "A2") for c in classes) else 5
    return date(issued.year + years, issued.month, min(issued.day, 28)) - timedelta(days=1)


def licence_of(province: Province, index: int) -> Licence | None:
    """The licence held by person ``index``, or None (minors and non-drivers)."""
    person = province.population.person(index)
    if person.birth.year > 2005:
        return None
    rng = random.Random(derive_seed(province.config.seed, "driving_licence", index))
    if rng.random() >= 0.6:
        return None
    earliest = date(max(1990, person.birth.year + 18), 1, 1)
    issued = earliest + timedelta(days=rng.randrange(max(1, (LAST_ISSUE - earliest).days)))
    new_law = issued >= NEW_CLASSES_FROM
    classes = rng.choice(_NEW_SETS if new_law else _OLD_SETS)
    serial = (index * 7919 + derive_seed(province.config.seed, "gplx") % 10**10) % 10**10
    return Licence(
        number=f"{LICENCE_PREFIX}{serial:010d}",
        holder=index,
        paper=issued.year < 2013 and rng.random() < 0.6,
        classes=classes,
        issued=issued,
        expires=_expiry(classes, issued),
        status=rng.choices(STATUSES, (92, 5, 3))[0],
        authority=rng.choice(_AUTHORITIES),
    )
