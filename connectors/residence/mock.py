"""A simulation of the Residence Database (Ministry of Public Security) as a SQL source.

One table, ``dk_cu_tru`` (residence registrations), one row per registration:

==============  ======================================================================
column          content
==============  ======================================================================
so_dk           registration number (primary key), ``CT`` + person + sequence
so_dd_cn        the person's PIN
ma_ho           household id
loai_cu_tru     label: ``Thường trú`` (permanent) or ``Tạm trú`` (temporary)
ngay_dk         registration date, ``dd/mm/yyyy``
dia_chi         the address text as the clerk typed it
ma_tinh         province code; before 2025-07-01 old list (with ma_huyen), after: 2025
ma_huyen        district code (old list only)
ma_xa           ward code, in the list in force on ngay_dk
trang_thai      label: ``Đang hiệu lực`` or ``Đã xóa đăng ký``
ly_do_xoa       label: ``Chuyển nơi cư trú`` (moved) or ``Đã chết`` (died)
ngay_xoa        cancellation date, ``dd/mm/yyyy``
so_dk_cu        the registration this one replaced (after a move)
phien_ban       the person's residence-file version (rises with every change)
ngay_cap_nhat   last change, local time ``YYYY-MM-DD HH:MM:SS`` (the polling column)
==============  ======================================================================

A move in the timeline cancels the current registration and adds a new one; a death
cancels it. Discrepancies owned here: ``missing_from_source`` (no row at all),
``stale_record`` (a row last updated five years before the initial load, which the
office never touched again), and the household address types (old codes of a ward
whose code was reused, or that was split, with no ward name that disambiguates).

The synthetic province's clock starts on 2024-01-01, before the 2025 reform. This source
runs :data:`CLOCK_OFFSET` ahead of it (its initial load is dated 2026), so that it holds
registrations made under both code lists; registrations from 2025-07-01 use the 2025
list. Dates of other sources are unaffected.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from hub.normalise.admin_units import AdminUnits, OldWard
from hub.normalise.dates import VN_TZ
from hub.province import Person, Province, derive_seed
from hub.province.discrepancies import HOUSEHOLD_TYPES, DiscrepancyType
from hub.province.faults import FaultInjector
from hub.province.people import apply_change
from hub.province.sqlsource import SqlSource
from hub.province.sqlwire import SqlTableDef

SOURCE = "residence"
CLOCK_OFFSET = timedelta(days=731)
REFORM = date(2025, 7, 1)
STALE_BY = timedelta(days=5 * 365)
TYPE_LABEL = {"PERMANENT": "Thường trú", "TEMPORARY": "Tạm trú"}
ACTIVE, CANCELLED = "Đang hiệu lực", "Đã xóa đăng ký"
MOVED, DIED = "Chuyển nơi cư trú", "Đã chết"
#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "bad_pin", "bad_type", "bad_ward", "missing_pin")


def local_text(moment: datetime) -> str:
    """A UTC instant as this source writes it: local time, ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: Any) -> float:
    return datetime.fromisoformat(str(value)).replace(tzinfo=VN_TZ).timestamp()


TABLE = SqlTableDef(
    name="dk_cu_tru",
    columns=(
        ("so_dk", "TEXT"),
        ("so_dd_cn", "TEXT"),
        ("ma_ho", "TEXT"),
        ("loai_cu_tru", "TEXT"),
        ("ngay_dk", "TEXT"),
        ("dia_chi", "TEXT"),
        ("ma_tinh", "TEXT"),
        ("ma_huyen", "TEXT"),
        ("ma_xa", "TEXT"),
        ("trang_thai", "TEXT"),
        ("ly_do_xoa", "TEXT"),
        ("ngay_xoa", "TEXT"),
        ("so_dk_cu", "TEXT"),
        ("phien_ban", "INTEGER"),
        ("ngay_cap_nhat", "TEXT"),
    ),
    key="so_dk",
    updated_at="ngay_cap_nhat",
    seconds=_seconds,
)


class ResidenceDb(SqlSource):
    """The simulated Residence Database over one synthetic province (see :class:`SqlSource`)."""

    table = TABLE
    source = SOURCE

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        super().__init__(province, faults)
        self.units = AdminUnits.load()

    def rows_of(self, index: int) -> list[dict[str, Any]]:
        """Every registration of person ``index``, the current one last."""
        kind = self.province.discrepancy_of(index)
        if kind is DiscrepancyType.MISSING_FROM_SOURCE:
            return []
        pop = self.population
        household = pop.household(pop.household_of(index))
        person = pop.person(index)
        changes = self.province.timeline.changes_of(index)
        stale = kind is DiscrepancyType.STALE_RECORD
        updated = pop.base_updated_at(index) + CLOCK_OFFSET - (STALE_BY if stale else timedelta())
        rng = random.Random(derive_seed(self.province.config.seed, SOURCE, index))
        initial = self.population.initial(index) if changes else person
        last_day = updated.date()
        if self.province.discrepancy_of(household.first) in HOUSEHOLD_TYPES:
            last_day = min(last_day, REFORM - timedelta(days=1))  # old codes show the hazard
        if initial.death is not None:
            last_day = min(last_day, _day(initial.death))
        first_day = min(date(max(2008, person.birth.year + 1), 1, 1), last_day)
        registered = first_day + timedelta(days=rng.randrange((last_day - first_day).days + 1))
        kind_label = TYPE_LABEL["TEMPORARY" if rng.random() < 0.1 else "PERMANENT"]
        row = self._row(index, 1, person, household.ward, household.street, registered)
        row.update(loai_cu_tru=kind_label, phien_ban=1, ngay_cap_nhat=local_text(updated))
        if initial.death is not None:  # died before the initial load
            row.update(trang_thai=CANCELLED, ly_do_xoa=DIED)
            row["ngay_xoa"] = _day(initial.death).strftime("%d/%m/%Y")
        rows, state, version = [row], initial, 1
        for change in [] if stale else changes:
            current = rows[-1]
            if current["trang_thai"] == CANCELLED:
                break  # nothing happens to the registrations of the dead
            version += 1
            at = change.at + CLOCK_OFFSET
            day = at.astimezone(VN_TZ).date()
            current.update(phien_ban=version, ngay_cap_nhat=local_text(at), trang_thai=CANCELLED)
            current["ngay_xoa"] = day.strftime("%d/%m/%Y")
            if change.kind == "death":
                current["ly_do_xoa"] = DIED
                continue
            current["ly_do_xoa"] = MOVED
            state = apply_change(state, change, pop)
            moved = self._row(index, len(rows) + 1, state, state.ward, state.street, day)
            moved.update(
                loai_cu_tru=kind_label, so_dk_cu=current["so_dk"], phien_ban=version,
                ngay_cap_nhat=local_text(at),
            )  # fmt: skip
            rows.append(moved)
        return self.corrupted(index, rows, _corrupt)

    def _row(
        self, index: int, seq: int, person: Person, ward: OldWard, street: str, day: date
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "so_dk": f"CT{index:07d}{seq:02d}",
            "so_dd_cn": person.pin,
            "ma_ho": person.household_id,
            "ngay_dk": day.strftime("%d/%m/%Y"),
            "trang_thai": ACTIVE,
        }
        if day < REFORM:
            row.update(
                dia_chi=f"{street}, {ward.name}, {ward.district_name}, {ward.province_name}",
                ma_tinh=ward.province_code, ma_huyen=ward.district_code, ma_xa=ward.code,
            )  # fmt: skip
            return row
        placed = self.units.to_2025(ward.code)
        province = placed.province_code or ""
        row.update(
            dia_chi=f"{street}, {placed.ward_name}, {self.units.new_province_name(province)}",
            ma_tinh=province, ma_huyen=None, ma_xa=placed.ward_code,
        )  # fmt: skip
        return row


def _day(value: Any) -> date:
    return date(value.year, value.month or 1, value.day or 1)


def _corrupt(row: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_date":
        row["ngay_dk"] = "31/02/" + str(row["ngay_dk"])[-4:]
    elif kind == "bad_pin":
        row["so_dd_cn"] = str(row["so_dd_cn"])[:5] + "X" + str(row["so_dd_cn"])[6:]
    elif kind == "bad_type":
        row["loai_cu_tru"] = "Không xác định"
    elif kind == "bad_ward":
        row["ma_xa"] = "7A" + str(row["ma_xa"])[2:]
    else:
        row["so_dd_cn"] = None
