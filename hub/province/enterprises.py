"""The synthetic province's enterprises, generated lazily and deterministically.

About one enterprise per :data:`PEOPLE_PER_ENTERPRISE` people (at least
:data:`MIN_ENTERPRISES`). ``enterprise(n)`` is
recomputed from ``(seed, n)``; founders, members and legal representatives are drawn
among the province's adults (some of them deceased or convicted: the cross-check is
meant to catch those). Enterprise codes are 10-digit tax codes with a valid check digit
under :data:`TAX_PROVINCE_PREFIX`; branch codes append a 3-digit suffix.

Dates: registration dates run on the real calendar up to :data:`LAST_REGISTRATION`, so
that registrations after :data:`NEW_CODES_FROM` (head office in 2025 codes) exist beside
older ones (old 63-province codes). Change tracking (modification times) follows the
province clock (:mod:`hub.province.timeline`).

Over time: when a legal representative dies (a timeline "death"), an active enterprise
is recorded as suspended from that moment (:meth:`Enterprises.status_as_of`).
"""

from __future__ import annotations

import random
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from hub.normalise.admin_units import AdminUnits, OldWard
from hub.normalise.identifiers import make_tax_code
from hub.normalise.names import strip_diacritics
from hub.province.people import BASE_TIME, derive_seed
from hub.province.vocabulary import STREETS

if TYPE_CHECKING:
    from hub.province.province import Province

#: Tax-code province prefix of enterprises registered in Binh Duong [verify].
TAX_PROVINCE_PREFIX = "37"
PEOPLE_PER_ENTERPRISE = 25
#: A floor so that a test-sized province (a few hundred people) still has a registry
#: worth paging through; its founders then hold several enterprises each.
MIN_ENTERPRISES = 120
#: Registrations from this date carry head-office addresses in the 2025 code list.
NEW_CODES_FROM = date(2025, 7, 1)
FIRST_REGISTRATION = date(1995, 1, 1)
LAST_REGISTRATION = date(2025, 12, 31)
#: Youngest birth year of a founder or representative (adult at the province clock).
ADULT_BORN_BY = 2005

KINDS = ("PRIVATE", "LLC_ONE", "LLC_MULTI", "JSC", "PARTNERSHIP")
_KIND_WEIGHTS = (15, 40, 25, 17, 3)
STATUSES = ("ACTIVE", "SUSPENDED", "DISSOLVING", "DISSOLVED", "BANKRUPT")
_STATUS_WEIGHTS = (80, 7, 4, 6, 3)
_KIND_PREFIX = {
    "PRIVATE": ("DOANH NGHIỆP TƯ NHÂN", "PRIVATE ENTERPRISE", "DNTN"),
    "LLC_ONE": ("CÔNG TY TNHH MỘT THÀNH VIÊN", "ONE MEMBER COMPANY LIMITED", "CTY TNHH MTV"),
    "LLC_MULTI": ("CÔNG TY TNHH", "COMPANY LIMITED", "CTY TNHH"),
    "JSC": ("CÔNG TY CỔ PHẦN", "JOINT STOCK COMPANY", "CTCP"),
    "PARTNERSHIP": ("CÔNG TY HỢP DANH", "PARTNERSHIP COMPANY", "CTHD"),
}
#: Trade words: (Vietnamese, English).
_TRADES = (
    ("THƯƠNG MẠI", "TRADING"), ("XÂY DỰNG", "CONSTRUCTION"), ("SẢN XUẤT", "MANUFACTURING"),
    ("DỊCH VỤ", "SERVICES"), ("VẬN TẢI", "TRANSPORT"), ("GỖ", "WOOD"), ("CƠ KHÍ", "MECHANICAL"),
    ("BAO BÌ", "PACKAGING"), ("DỆT MAY", "TEXTILE"), ("NÔNG SẢN", "AGRICULTURAL PRODUCTS"),
)  # fmt: skip
_BRANDS = (
    "AN PHÚ", "MINH LONG", "THÀNH ĐẠT", "PHÚ CƯỜNG", "HƯNG THỊNH", "TÂN HIỆP", "ĐÔNG Á",
    "KIM NGÂN", "BẢO CHÂU", "VIỆT TIẾN", "SÔNG BÉ", "LÁI THIÊU", "HOÀNG GIA", "NAM PHÁT",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Member:
    """A founder, member or shareholder: person index and share of the charter capital."""

    index: int
    share_percent: float


@dataclass(frozen=True, slots=True)
class Branch:
    """A branch: 13-digit code (parent code + 3 digits) and name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class HeadOffice:
    """A head office address as registered, in the code list of its registration date."""

    raw: str
    code_system: str  # "OLD_63" or "NEW_34"
    province_code: str
    district_code: str | None
    ward_code: str


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One synthetic enterprise, in its initial state (see :meth:`Enterprises.status_as_of`)."""

    number: int
    code: str
    name_vi: str
    name_en: str
    abbreviation: str
    kind: str
    status: str
    registered: date
    head_office: HeadOffice
    charter_capital: int
    representatives: tuple[int, ...]
    members: tuple[Member, ...]
    branches: tuple[Branch, ...]
    updated_at: datetime


class Enterprises:
    """The enterprises of one province (use :func:`enterprises_of` to share them).

    Args:
        province: the synthetic province whose adults found the enterprises.
    """

    def __init__(self, province: Province) -> None:
        self.province = province
        self.seed = province.config.seed
        self.count = max(MIN_ENTERPRISES, province.config.citizens // PEOPLE_PER_ENTERPRISE)
        self.enterprise = lru_cache(maxsize=4096)(self._make)

    def code(self, number: int) -> str:
        """The enterprise code of enterprise ``number``: unique, valid check digit."""
        offset = derive_seed(self.seed, "enterprise-code") % 10_000_000
        for attempt in range(11):
            sequence = ((number * 11 + attempt) * 104_729 + offset) % 10_000_000
            code = make_tax_code(TAX_PROVINCE_PREFIX, sequence)
            if code is not None:
                return code
        raise AssertionError("eleven consecutive sequences without a check digit")

    def _adult(self, rng: random.Random) -> int:
        population = self.province.population
        start = rng.randrange(population.citizens)
        for step in range(population.citizens):
            index = (start + step) % population.citizens
            if population.person(index).birth.year <= ADULT_BORN_BY:
                return index
        return start

    def _make(self, number: int) -> Enterprise:
        if not 0 <= number < self.count:
            raise IndexError(number)
        rng = random.Random(derive_seed(self.seed, "enterprise", number))
        kind = rng.choices(KINDS, _KIND_WEIGHTS)[0]
        code = self.code(number)
        sizes = {"PRIVATE": 1, "LLC_ONE": 1, "LLC_MULTI": rng.randint(2, 5),
                 "JSC": rng.randint(3, 6), "PARTNERSHIP": rng.randint(2, 4)}  # fmt: skip
        people = list(dict.fromkeys(self._adult(rng) for _ in range(sizes[kind])))
        weights = [rng.randint(1, 10) for _ in people]
        shares = [round(100 * w / sum(weights), 2) for w in weights]
        shares[0] = round(100 - sum(shares[1:]), 2)
        members = tuple(Member(i, s) for i, s in zip(people, shares, strict=True))
        representatives = (people[0],) if kind == "PRIVATE" or rng.random() < 0.7 else (
            people[0], people[-1] if len(people) > 1 else self._adult(rng))  # fmt: skip
        population = self.province.population
        youngest = max(population.person(i).birth.year for i in {*people, *representatives})
        earliest = max(FIRST_REGISTRATION, date(youngest + 18, 1, 1))
        span = max(0, (LAST_REGISTRATION - earliest).days)
        registered = earliest + timedelta(days=rng.randrange(span + 1))
        trade_vi, trade_en = rng.choice(_TRADES)
        brand = rng.choice(_BRANDS)
        prefix_vi, suffix_en, prefix_abbr = _KIND_PREFIX[kind]
        brand_ascii = strip_diacritics(brand)
        branches = tuple(
            Branch(f"{code}{n:03d}", f"CHI NHÁNH {n} - {prefix_vi} {trade_vi} {brand}")
            for n in range(1, 1 + rng.choice((0, 0, 0, 1, 1, 2, 3)))
        )
        return Enterprise(
            number=number,
            code=code,
            name_vi=f"{prefix_vi} {trade_vi} {brand}",
            name_en=f"{brand_ascii} {trade_en} {suffix_en}",
            abbreviation=f"{prefix_abbr} {brand_ascii.replace(' ', '')}",
            kind=kind,
            status=rng.choices(STATUSES, _STATUS_WEIGHTS)[0],
            registered=registered,
            head_office=self._head_office(rng, registered),
            charter_capital=rng.choice((1, 2, 5, 10, 20, 50, 100, 500)) * 100_000_000,
            representatives=representatives,
            members=members,
            branches=branches,
            updated_at=BASE_TIME + timedelta(seconds=number // 4),
        )

    def _head_office(self, rng: random.Random, registered: date) -> HeadOffice:
        wards = self.province.population.wards
        ward: OldWard = wards[rng.randrange(len(wards))]
        street = f"Số {rng.randint(1, 500)}, đường {rng.choice(STREETS)}"
        if registered < NEW_CODES_FROM:
            raw = f"{street}, {ward.name}, {ward.district_name}, {ward.province_name}"
            return HeadOffice(raw, "OLD_63", ward.province_code, ward.district_code, ward.code)
        mapping = AdminUnits.load().to_2025(ward.code)
        if mapping.ward_code is None or mapping.province_code is None:
            raw = f"{street}, {ward.name}, {ward.district_name}, {ward.province_name}"
            return HeadOffice(raw, "OLD_63", ward.province_code, ward.district_code, ward.code)
        raw = f"{street}, {mapping.ward_name}, Thành phố Hồ Chí Minh"
        return HeadOffice(raw, "NEW_34", mapping.province_code, None, mapping.ward_code)

    @cached_property
    def _represented(self) -> dict[int, tuple[int, ...]]:
        """Person index → enterprises they legally represent (built once, on demand)."""
        out: dict[int, list[int]] = {}
        for number in range(self.count):
            for index in self.enterprise(number).representatives:
                out.setdefault(index, []).append(number)
        return {k: tuple(v) for k, v in out.items()}

    def represented_by(self, index: int) -> tuple[int, ...]:
        """Numbers of the enterprises person ``index`` is a legal representative of."""
        return self._represented.get(index, ())

    def representative_death(self, number: int, cutoff: datetime | None) -> datetime | None:
        """When the first legal representative of ``number`` died on the timeline.

        Only deaths at or before ``cutoff`` count (``None``: no timeline change counts).
        """
        if cutoff is None:
            return None
        times = [
            change.at
            for index in self.enterprise(number).representatives
            for change in self.province.timeline.changes_of(index)
            if change.kind == "death" and change.at <= cutoff
        ]
        return min(times, default=None)

    def status_as_of(self, number: int, cutoff: datetime | None) -> tuple[str, datetime, int]:
        """Status, modification time and version of ``number`` as of ``cutoff``.

        An active enterprise whose legal representative died is suspended from that day.
        """
        enterprise = self.enterprise(number)
        died = self.representative_death(number, cutoff)
        if died is None:
            return enterprise.status, enterprise.updated_at, 1
        status = "SUSPENDED" if enterprise.status == "ACTIVE" else enterprise.status
        return status, died, 2


_SHARED: weakref.WeakKeyDictionary[Province, Enterprises] = weakref.WeakKeyDictionary()


def enterprises_of(province: Province) -> Enterprises:
    """The enterprises of ``province``, one instance per province object."""
    found = _SHARED.get(province)
    if found is None:
        found = _SHARED[province] = Enterprises(province)
    return found
