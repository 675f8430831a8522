"""A simulation of Vietnam Social Security's health-insurance card register, a SQL source.

One table, ``THE_BHYT`` (health-insurance cards), one row per insured person:

===========  ==========================================================================
column       content
===========  ==========================================================================
MA_SO_BHXH   10-digit social-insurance code (primary key; the id before the PIN)
SO_DDCN      the holder's PIN, in a NUMERIC column: leading zeros are lost (74201...)
MA_THE       15-character card code: group, level, province, social-insurance code
HO_TEN       name in upper case, as printed on the card
NGAY_SINH    ``yyyymmdd``, ``00`` for an unknown month or day
GIOI_TINH    code: 1 male, 2 female
MA_DT        beneficiary group code (DN, GD, HS, TE, HT)
MUC_HUONG    benefit level code, 1..5
MA_KCB       registered primary-care facility code
TEN_KCB      its name
GT_TU        valid from, ``yyyymmdd``
GT_DEN       valid to (inclusive), ``yyyymmdd``
TRANG_THAI   code: 1 in use, 2 suspended, 3 withdrawn
NGAY_CN      last change, epoch seconds (the polling column)
===========  ==========================================================================

About 90% of people are insured. Cards run for a year from a per-person anniversary and
are renewed on it (a new row version, possibly a new group); a move re-registers the
holder at the facility of the new ward; a death withdraws the card. Owner of the
``sex_mismatch`` discrepancy: the other sex is recorded.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

from hub.normalise.dates import VN_TZ
from hub.province import Person, Province, derive_seed
from hub.province.discrepancies import DiscrepancyType
from hub.province.faults import FaultInjector
from hub.province.sqlsource import SqlSource
from hub.province.sqlwire import SqlTableDef

SOURCE = "health_insurance"
INSURED_PERCENT = 90
#: Day 0 of the card anniversaries (local midnight).
ANNIVERSARY_BASE = datetime(2023, 1, 1, tzinfo=VN_TZ)
CARD_PERIOD = timedelta(days=365)
PROVINCE = "74"
ACTIVE, WITHDRAWN = 1, 3
SEX_CODE = {"MALE": 1, "FEMALE": 2}
#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("short_card", "bad_si_code", "bad_date", "bad_sex", "missing_name")

TABLE = SqlTableDef(
    name="THE_BHYT",
    columns=(
        ("MA_SO_BHXH", "TEXT"),
        ("SO_DDCN", "NUMERIC"),
        ("MA_THE", "TEXT"),
        ("HO_TEN", "TEXT"),
        ("NGAY_SINH", "TEXT"),
        ("GIOI_TINH", "INTEGER"),
        ("MA_DT", "TEXT"),
        ("MUC_HUONG", "INTEGER"),
        ("MA_KCB", "TEXT"),
        ("TEN_KCB", "TEXT"),
        ("GT_TU", "TEXT"),
        ("GT_DEN", "TEXT"),
        ("TRANG_THAI", "INTEGER"),
        ("NGAY_CN", "INTEGER"),
    ),
    key="MA_SO_BHXH",
    updated_at="NGAY_CN",
    seconds=float,
)


def group_of(person: Person, on: date, rng_draw: float) -> tuple[str, int]:
    """Beneficiary group and benefit level of ``person`` on ``on`` (by age and a draw)."""
    age = on.year - person.birth.year
    if age < 6:
        return "TE", 1
    if age < 18:
        return "HS", 3
    if age >= 60:
        return "HT", 2
    return ("DN", 4) if rng_draw < 0.6 else ("GD", 4)


class HealthInsuranceDb(SqlSource):
    """The simulated card register over one synthetic province (see :class:`SqlSource`)."""

    table = TABLE
    source = SOURCE

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        super().__init__(province, faults)
        self._si_offset = derive_seed(province.config.seed, SOURCE, "si") % 10**8

    def _draws(self, index: int) -> tuple[bool, int, float]:
        """(insured, anniversary day 0..364, group draw) of person ``index``."""
        rng = random.Random(derive_seed(self.province.config.seed, SOURCE, index))
        insured = rng.randrange(100) < INSURED_PERCENT
        # Whoever this source shows with another sex must hold a card to show it on.
        shown = self.province.discrepancy_of(index) is DiscrepancyType.SEX_MISMATCH
        return insured or shown, rng.randrange(365), rng.random()

    @cached_property
    def _by_anniversary(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for index in self.subjects():
            insured, day, _ = self._draws(index)
            if insured:
                found.setdefault(day, []).append(index)
        return found

    def touched(self, since: datetime, until: datetime) -> Iterable[int]:
        """Timeline changes, plus the holders whose card was renewed in ``[since, until)``."""
        found = set(super().touched(since, until))
        day = since.astimezone(VN_TZ).date()
        while day <= until.astimezone(VN_TZ).date():
            offset = (day - ANNIVERSARY_BASE.date()).days % 365
            found.update(self._by_anniversary.get(offset, ()))
            day += timedelta(days=1)
        return sorted(found)

    def rows_of(self, index: int) -> list[dict[str, Any]]:
        """The card of person ``index`` as of now, or nothing when uninsured."""
        insured, day, draw = self._draws(index)
        pop = self.population
        person = pop.person(index)
        changes = self.province.timeline.changes_of(index)
        initial = pop.initial(index) if changes else person
        if not insured or initial.status == "DECEASED":
            return []
        death = next((c.at for c in changes if c.kind == "death"), None)
        moment = death or self.province.timeline.now
        anchor = ANNIVERSARY_BASE + timedelta(days=day)
        period = int((moment - anchor) / CARD_PERIOD)
        start = anchor + period * CARD_PERIOD
        updated = max(
            pop.base_updated_at(index),
            start if start > pop.initial_load_end else pop.base_updated_at(index),
            person.updated_at if changes else pop.base_updated_at(index),
        )
        valid_from = start.astimezone(VN_TZ).date()
        valid_to = valid_from + CARD_PERIOD - timedelta(days=1)
        if death is not None:
            valid_to = death.astimezone(VN_TZ).date()
        group, level = group_of(person, valid_from, draw)
        si_code = f"{PROVINCE}{(index * 7919 + self._si_offset) % 10**8:08d}"
        sex = person.sex
        if self.province.discrepancy_of(index) is DiscrepancyType.SEX_MISMATCH:
            sex = "FEMALE" if sex == "MALE" else "MALE"
        ward = person.ward
        row: dict[str, Any] = {
            "MA_SO_BHXH": si_code,
            "SO_DDCN": person.pin,
            "MA_THE": f"{group}{level}{PROVINCE}{si_code}",
            "HO_TEN": person.full_name.upper(),
            "NGAY_SINH": f"{person.birth.year:04d}{person.birth.month or 0:02d}"
            f"{person.birth.day or 0:02d}",
            "GIOI_TINH": SEX_CODE[sex],
            "MA_DT": group,
            "MUC_HUONG": level,
            "MA_KCB": f"{PROVINCE}{ward.code[-3:]}",
            "TEN_KCB": f"Trạm Y tế {ward.name}",
            "GT_TU": valid_from.strftime("%Y%m%d"),
            "GT_DEN": valid_to.strftime("%Y%m%d"),
            "TRANG_THAI": WITHDRAWN if death is not None else ACTIVE,
            "NGAY_CN": int(updated.timestamp()),
        }
        return self.corrupted(index, [row], _corrupt)


def _corrupt(row: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "short_card":
        row["MA_THE"] = str(row["MA_THE"])[:12]
    elif kind == "bad_si_code":
        row["MA_THE"] = str(row["MA_THE"])[:7] + "O" + str(row["MA_THE"])[8:]
    elif kind == "bad_date":
        row["GT_DEN"] = str(row["GT_DEN"])[:4] + "1345"
    elif kind == "bad_sex":
        row["GIOI_TINH"] = 9
    else:
        row["HO_TEN"] = None
