"""A simulation of the tax administration's daily taxpayer exports (Ministry of Finance).

Day files ``NNT_<yyyymmdd>.csv`` in a drop directory (:mod:`hub.province.csvdrop`) with
this system's quirks: ``;`` as delimiter, UTF-8 *with* a byte-order mark, dates as
``dd/mm/yyyy``, amounts with ``.`` as thousands separator (``12.500.000``), labels in
Vietnamese. Slots: every enterprise of :mod:`hub.province.enterprises` first, then one
per person (individual accounts). Individuals registered before 2025-07-01 appear with
their old 10-digit personal tax code in ``MA_SO_THUE`` and the PIN in ``SO_DINH_DANH``;
later ones with the PIN in both.

Discrepancy ``tax_debt``: the *person's own* account carries the outstanding debt (an
individual account is opened for them if they had none); only those individual
accounts carry debt, so a cross-check finds it by PIN. Enterprises may carry debts of
their own, which are business facts, not injected discrepancies.

Over time: a death closes the person's account and suspends the account of an active
enterprise they legally represent (as the business registry suspends it).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.normalise.dates import VN_TZ
from hub.normalise.identifiers import make_tax_code
from hub.province import Province, derive_seed
from hub.province.csvdrop import CsvDrop, DropService, ExportFormat, death_as_of, timeline_death
from hub.province.discrepancies import DiscrepancyType
from hub.province.enterprises import enterprises_of
from hub.province.faults import FaultInjector
from hub.province.people import BASE_TIME
from hub.province.timeline import Change

SOURCE = "tax"
COLUMNS = (
    "MA_SO_THUE", "SO_DINH_DANH", "TEN_NGUOI_NOP_THUE", "LOAI_NNT", "TRANG_THAI_MST",
    "NGAY_CAP_MST", "SO_TIEN_NO", "LOAI_NO", "BIEN_PHAP_CUONG_CHE", "TAM_HOAN_XUAT_CANH",
    "NGAY_CAP_NHAT", "PHIEN_BAN",
)  # fmt: skip
FORMAT = ExportFormat("NNT", COLUMNS, delimiter=";", encoding="utf-8-sig")
#: Province part of old personal tax codes in this simulation [verify].
PERSONAL_CODE_PREFIX = "80"
PIN_IS_TAX_CODE_FROM = date(2025, 7, 1)
STATUS_LABEL = {"ACTIVE": "Đang hoạt động", "SUSPENDED": "Tạm ngừng hoạt động",
                "CLOSED": "Đã chấm dứt hiệu lực MST"}  # fmt: skip
FROM_REGISTRY = {"ACTIVE": "ACTIVE", "SUSPENDED": "SUSPENDED", "DISSOLVING": "SUSPENDED",
                 "DISSOLVED": "CLOSED", "BANKRUPT": "CLOSED"}  # fmt: skip
DEBT_LABEL = {"PERSONAL_INCOME_TAX": "Thuế TNCN", "VAT": "Thuế GTGT",
              "CORPORATE_INCOME_TAX": "Thuế TNDN", "LAND_USE_FEE": "Tiền sử dụng đất",
              "REGISTRATION_FEE": "Lệ phí trước bạ"}  # fmt: skip
MEASURE_LABEL = {"ACCOUNT_DEDUCTION": "Trích tiền từ tài khoản",
                 "SALARY_DEDUCTION": "Khấu trừ lương", "ASSET_SEIZURE": "Kê biên tài sản",
                 "INVOICE_SUSPENSION": "Ngừng sử dụng hóa đơn"}  # fmt: skip
INITIAL_UPDATE = BASE_TIME - timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class Debt:
    """Outstanding debt: amount (VND), category, enforcement measures, exit ban."""

    amount: int
    category: str
    measures: tuple[str, ...]
    exit_ban: bool


def _debt(rng: random.Random, categories: tuple[str, ...]) -> Debt:
    amount = rng.randint(5, 900) * 1_000_000
    measures = tuple(sorted(rng.sample(sorted(MEASURE_LABEL), rng.randint(0, 2))))
    return Debt(amount, rng.choice(categories), measures, amount >= 50_000_000)


def _vn_amount(value: int) -> str:
    return f"{value:,}".replace(",", ".")


class TaxExport:
    """The tax administration's rows (see :class:`~hub.province.csvdrop.DaySource`)."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self.enterprises = enterprises_of(province)

    def slots(self) -> int:
        """Enterprises first, then one slot per person."""
        return self.enterprises.count + self.province.population.citizens

    def affected(self, change: Change) -> Iterable[int]:
        """A death closes the person's account and suspends represented enterprises."""
        if change.kind != "death":
            return ()
        out = list(self.enterprises.represented_by(change.index))
        if self._has_account(change.index):
            out.append(self.enterprises.count + change.index)
        return out

    def _has_account(self, index: int) -> bool:
        if self.province.discrepancy_of(index) is DiscrepancyType.TAX_DEBT:
            return True
        if self.province.population.person(index).birth.year > 2005:
            return False
        return derive_seed(self.province.config.seed, SOURCE, "account", index) % 100 < 50

    def render(self, slot: int, cutoff: datetime | None) -> Sequence[str] | None:
        """The taxpayer row of ``slot`` as of ``cutoff``."""
        rng = random.Random(derive_seed(self.province.config.seed, SOURCE, slot))
        if slot < self.enterprises.count:
            row = self._enterprise(slot, cutoff, rng)
        else:
            found = self._person(slot - self.enterprises.count, cutoff, rng)
            if found is None:
                return None
            row = found
        if self.province.malformed(SOURCE, slot):
            _corrupt(row, rng.getrandbits(16))
        return row

    def _enterprise(self, number: int, cutoff: datetime | None, rng: random.Random) -> list[str]:
        ent = self.enterprises.enterprise(number)
        status, updated, version = self.enterprises.status_as_of(number, cutoff)
        debt = _debt(rng, ("VAT", "CORPORATE_INCOME_TAX")) if rng.random() < 0.1 else None
        registered = ent.registered.strftime("%d/%m/%Y")
        return [ent.code, "", ent.name_vi, "TO_CHUC", STATUS_LABEL[FROM_REGISTRY[status]],
                registered, *_debt_cells(debt), _stamp(updated), str(version)]  # fmt: skip

    def _person(self, index: int, cutoff: datetime | None, rng: random.Random) -> list[str] | None:
        if not self._has_account(index):
            return None
        population = self.province.population
        person = population.person(index)
        earliest = date(max(2005, person.birth.year + 18), 1, 1)
        registered = earliest + timedelta(
            days=rng.randrange(max(1, (date(2025, 12, 31) - earliest).days))
        )
        debt = None
        if self.province.discrepancy_of(index) is DiscrepancyType.TAX_DEBT:
            debt = _debt(rng, ("PERSONAL_INCOME_TAX", "LAND_USE_FEE", "REGISTRATION_FEE"))
        died_at = timeline_death(population, index, cutoff)
        closed = death_as_of(population, index, cutoff) is not None
        code = person.pin
        if registered < PIN_IS_TAX_CODE_FROM:
            sequence = (index * 7919 + derive_seed(self.province.config.seed, "mst-cn")) % 10**7
            code = make_tax_code(PERSONAL_CODE_PREFIX, sequence) or person.pin
        return [code, person.pin, person.full_name, "CA_NHAN",
                STATUS_LABEL["CLOSED" if closed else "ACTIVE"], registered.strftime("%d/%m/%Y"),
                *_debt_cells(debt), _stamp(died_at or INITIAL_UPDATE),
                "2" if died_at else "1"]  # fmt: skip


def _debt_cells(debt: Debt | None) -> list[str]:
    if debt is None:
        return ["0", "", "", "Không"]
    return [
        _vn_amount(debt.amount),
        DEBT_LABEL[debt.category],
        "|".join(MEASURE_LABEL[m] for m in debt.measures),
        "Có" if debt.exit_ban else "Không",
    ]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_check_digit", "bad_amount", "bad_date", "unknown_status", "short_row")


def _corrupt(row: list[str], key: int) -> None:
    kind = CORRUPTIONS[key % len(CORRUPTIONS)]
    if kind == "bad_check_digit":
        row[0] = row[0][:9] + str((int(row[0][9]) + 1) % 10) if row[3] == "TO_CHUC" else "12345"
    elif kind == "bad_amount":
        row[6] = "12,5 triệu"
    elif kind == "bad_date":
        row[5] = "31/02/2019"
    elif kind == "unknown_status":
        row[4] = "Không xác định"
    else:
        del row[-4:]


def make_service(province: Province, faults: FaultInjector | None = None) -> DropService:
    """The tax administration's drop, served with faults."""
    return DropService(CsvDrop(province, FORMAT, TaxExport(province)), faults)
