"""A simulation of the driving-licence system's daily exports (Public Security, from 2025).

Day files ``GPLX_<yyyymmdd>.csv`` in a drop directory (:mod:`hub.province.csvdrop`),
with this legacy system's quirks: ``|`` as delimiter, Windows-1252 text, dates as
``yyyymmdd`` (``00`` for an unknown day or month of birth), holder names printed in upper
case without diacritics, classes as a comma-separated list, and the holder's PIN column
empty for old paper licences. A holder's death revokes the licence (a new row in that
day's file).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from connectors.driving_licences.licences import Licence, licence_of
from hub.normalise.dates import VN_TZ
from hub.normalise.names import strip_diacritics
from hub.province import Province, derive_seed
from hub.province.csvdrop import CsvDrop, DropService, ExportFormat, timeline_death
from hub.province.faults import FaultInjector
from hub.province.people import BASE_TIME
from hub.province.timeline import Change

SOURCE = "driving_licences"
COLUMNS = (
    "SO_GPLX", "SO_CCCD", "HO_TEN", "NGAY_SINH", "HANG", "NGAY_CAP", "NGAY_HET_HAN",
    "TRANG_THAI", "NOI_CAP", "LOAI_PHOI", "NGAY_CAP_NHAT", "PHIEN_BAN",
)  # fmt: skip
FORMAT = ExportFormat("GPLX", COLUMNS, delimiter="|", encoding="cp1252")
STATUS_LABEL = {"VALID": "CON HIEU LUC", "SUSPENDED": "TAM DINH CHI", "REVOKED": "THU HOI"}
#: Initial rows were last updated just before the province's initial load.
INITIAL_UPDATE = BASE_TIME - timedelta(hours=1)


def _compact(year: int, month: int | None, day: int | None) -> str:
    return f"{year:04d}{month or 0:02d}{day or 0:02d}"


class LicenceExport:
    """The licence system's rows, one slot per person (see :class:`DaySource`)."""

    def __init__(self, province: Province) -> None:
        self.province = province

    def slots(self) -> int:
        """One slot per person."""
        return self.province.population.citizens

    def affected(self, change: Change) -> Iterable[int]:
        """A death revokes the holder's licence."""
        if change.kind == "death" and licence_of(self.province, change.index) is not None:
            return (change.index,)
        return ()

    def render(self, slot: int, cutoff: datetime | None) -> Sequence[str] | None:
        """The licence row of person ``slot`` as of ``cutoff``."""
        licence = licence_of(self.province, slot)
        if licence is None:
            return None
        population = self.province.population
        person = population.person(slot)
        status, version, updated = licence.status, 1, INITIAL_UPDATE
        died = timeline_death(population, slot, cutoff)
        if died is not None:
            status, version, updated = "REVOKED", 2, died
        birth = person.birth
        row = [
            licence.number,
            "" if licence.paper else person.pin,
            strip_diacritics(person.full_name).upper(),
            _compact(birth.year, birth.month, birth.day),
            ",".join(licence.classes),
            licence.issued.strftime("%Y%m%d"),
            licence.expires.strftime("%Y%m%d") if licence.expires else "",
            STATUS_LABEL[status],
            licence.authority,
            "GIAY" if licence.paper else "PET",
            updated.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M:%S"),
            str(version),
        ]
        if self.province.malformed(SOURCE, slot):
            _corrupt(row, derive_seed(self.province.config.seed, SOURCE, slot), licence)
        return row


#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "bad_class", "bad_number", "unknown_status", "short_row")


def _corrupt(row: list[str], key: int, licence: Licence) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_date":
        row[5] = f"{licence.issued.year}0231"
    elif kind == "bad_class":
        row[4] = "Z9"
    elif kind == "bad_number":
        row[0] = row[0][:6] + "O" + row[0][7:]
    elif kind == "unknown_status":
        row[7] = "KHONG RO"
    else:
        del row[-3:]


def make_service(province: Province, faults: FaultInjector | None = None) -> DropService:
    """The licence system's drop, served with faults."""
    return DropService(CsvDrop(province, FORMAT, LicenceExport(province)), faults)
