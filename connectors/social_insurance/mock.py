"""A simulation of Vietnam Social Security's daily participant exports.

Day files ``BHXH_<yyyymmdd>.csv`` in a drop directory (:mod:`hub.province.csvdrop`):
``,`` as delimiter, UTF-8 without BOM, ISO dates, lower-case column names. One row per
participant: the 10-digit social-insurance code, the PIN (empty for legacy rows the
agency never linked, about 12%; those carry the old 9-digit CMND as a mapping column),
participation status and scheme, employer unit (enterprise tax code), contribution
periods (``from/to/salary`` joined with ``;``) and benefit claims (``code:date``).
A death stops the participation and records a survivorship claim (a row in that day's
file).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.normalise.dates import VN_TZ
from hub.province import Province, derive_seed
from hub.province.csvdrop import CsvDrop, DropService, ExportFormat, death_as_of, timeline_death
from hub.province.enterprises import enterprises_of
from hub.province.faults import FaultInjector
from hub.province.people import BASE_TIME
from hub.province.timeline import Change

SOURCE = "social_insurance"
COLUMNS = (
    "ma_so_bhxh", "so_dinh_danh", "so_cmnd", "ho_ten", "ngay_sinh", "gioi_tinh",
    "trang_thai", "loai_hinh", "ma_don_vi", "qua_trinh_dong", "che_do_huong",
    "ngay_cap_nhat", "phien_ban",
)  # fmt: skip
FORMAT = ExportFormat("BHXH", COLUMNS, delimiter=",", encoding="utf-8")
STATUS_CODE = {"ACTIVE": "DANG_THAM_GIA", "SUSPENDED": "TAM_DUNG", "STOPPED": "DUNG_THAM_GIA",
               "RETIRED": "HUONG_HUU"}  # fmt: skip
CLAIM_CODE = {"SICKNESS": "OM", "MATERNITY": "TS", "UNEMPLOYMENT": "TN", "RETIREMENT": "HT",
              "SURVIVORSHIP": "TT", "OCCUPATIONAL_ACCIDENT": "TNLD"}  # fmt: skip
INITIAL_UPDATE = BASE_TIME - timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class Participant:
    """A person's social-insurance participation in its initial state."""

    si_code: str
    linked: bool
    status: str
    voluntary: bool
    employer: str | None
    periods: tuple[tuple[str, str | None, int], ...]
    claims: tuple[tuple[str, str], ...]


def participant_of(province: Province, index: int) -> Participant | None:
    """The participation of person ``index``, or None (never insured)."""
    person = province.population.person(index)
    if not 1955 <= person.birth.year <= 2005:
        return None
    rng = random.Random(derive_seed(province.config.seed, SOURCE, index))
    if rng.random() >= 0.65:
        return None
    voluntary = rng.random() < 0.25
    ent = enterprises_of(province)
    employer = None if voluntary else ent.code(rng.randrange(ent.count))
    retired = person.birth.year < 1965
    status = (
        "RETIRED" if retired else rng.choices(("ACTIVE", "SUSPENDED", "STOPPED"), (85, 5, 10))[0]
    )
    year = max(1995, person.birth.year + 18)
    periods: list[tuple[str, str | None, int]] = []
    for _ in range(rng.randint(1, 3)):
        end = min(2023, year + rng.randint(1, 8))
        periods.append((f"{year}-01", f"{end}-12", rng.randint(47, 300) * 100_000))
        year = end + 1
        if year > 2023:
            break
    if status == "ACTIVE":
        start, _, salary = periods[-1]
        periods[-1] = (start, None, salary)
    claims: list[tuple[str, str]] = []
    for _ in range(rng.choice((0, 0, 1, 2))):
        kind = rng.choice(
            ("SICKNESS", "UNEMPLOYMENT", "MATERNITY" if person.sex == "FEMALE" else "SICKNESS")
        )
        claims.append(
            (kind, f"{rng.randint(2000, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
        )
    if retired:
        claims.append(("RETIREMENT", f"{person.birth.year + 60}-{rng.randint(1, 12):02d}-01"))
    serial = (index * 7919 + derive_seed(province.config.seed, "bhxh") % 10**8) % 10**8
    return Participant(
        si_code=f"74{serial:08d}",
        linked=rng.random() >= 0.12,
        status=status,
        voluntary=voluntary,
        employer=employer,
        periods=tuple(periods),
        claims=tuple(sorted(claims, key=lambda c: c[1])),
    )


class InsuranceExport:
    """The agency's rows, one slot per person (see :class:`~hub.province.csvdrop.DaySource`)."""

    def __init__(self, province: Province) -> None:
        self.province = province

    def slots(self) -> int:
        """One slot per person."""
        return self.province.population.citizens

    def affected(self, change: Change) -> Iterable[int]:
        """A death stops the participant's insurance."""
        if change.kind == "death" and participant_of(self.province, change.index) is not None:
            return (change.index,)
        return ()

    def render(self, slot: int, cutoff: datetime | None) -> Sequence[str] | None:
        """The participant row of person ``slot`` as of ``cutoff``."""
        part = participant_of(self.province, slot)
        if part is None:
            return None
        population = self.province.population
        person = population.person(slot)
        status, periods, claims = part.status, list(part.periods), list(part.claims)
        died = death_as_of(population, slot, cutoff)
        if died is not None:
            status = "STOPPED"
            start, end, salary = periods[-1]
            if end is None:
                periods[-1] = (start, f"{died.year}-{died.month:02d}", salary)
            claims.append(("SURVIVORSHIP", died.iso))
        moment = timeline_death(population, slot, cutoff)
        birth = person.birth
        row = [
            part.si_code,
            person.pin if part.linked else "",
            (person.legacy_id or "") if not part.linked else "",
            person.full_name,
            birth.iso,
            "Nam" if person.sex == "MALE" else "Nữ",
            STATUS_CODE[status],
            "TN" if part.voluntary else "BB",
            part.employer or "",
            ";".join(f"{a}/{b or ''}/{s}" for a, b, s in periods),
            ";".join(f"{CLAIM_CODE[k]}:{d}" for k, d in claims),
            (moment or INITIAL_UPDATE).astimezone(VN_TZ).isoformat(timespec="seconds"),
            "2" if moment else "1",
        ]
        if self.province.malformed(SOURCE, slot):
            _corrupt(row, derive_seed(self.province.config.seed, SOURCE, "corrupt", slot))
        return row


#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_code", "bad_period", "unknown_status", "bad_claim", "missing_name")


def _corrupt(row: list[str], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_code":
        row[0] = row[0][:7]
    elif kind == "bad_period":
        row[9] = row[9].replace("-", "/", 1) + "/abc"
    elif kind == "unknown_status":
        row[6] = "KHONG_XAC_DINH"
    elif kind == "bad_claim":
        row[10] = "XX:2020-13-45"
    else:
        row[3] = ""


def make_service(province: Province, faults: FaultInjector | None = None) -> DropService:
    """The agency's drop, served with faults."""
    return DropService(CsvDrop(province, FORMAT, InsuranceExport(province)), faults)
