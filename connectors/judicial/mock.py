"""A simulation of the Judicial Records database's SOAP change feed (Justice / Public Security).

One SOAP 1.1 operation, namespace :data:`NAMESPACE`, endpoint :data:`PATH`::

    LayThayDoiLyLichTuPhap(tuMaThayDoi, soLuong)
      → <ketQua>00</ketQua> <conDuLieu>1|0</conDuLieu> <BanGhi>*

The feed is a change log: every entry has a change id ``maThayDoi``, increasing; the
call returns the entries with an id strictly greater than ``tuMaThayDoi`` (0 = from the
start), ``soLuong`` (≤ 200) at most, ascending. Each entry carries the person's whole
record as it is now (``LyLich``, with one ``BanAn`` per conviction). Only the latest
entry of each record is listed, so ids have gaps where an entry was superseded.

Ids ``1..K`` are the initial load (one per holder, K holders); a change at position
``p`` of the province timeline has id ``K + 1 + p``. Dates are ``yyyyMMdd``, times
``yyyyMMddHHmmss`` (Vietnam time); sentences, execution states and change kinds are
codes. People without convictions have no record at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from hub.normalise.dates import VN_TZ
from hub.province import Province, derive_seed
from hub.province.faults import FaultInjector
from hub.province.judicial import RECORD_SHARE, Conviction, judicial_records
from hub.province.people import BASE_TIME
from hub.province.soap import SoapRequest, SoapService, response
from hub.province.transport import MockResponse

SOURCE = "judicial"
NAMESPACE = "urn:botuphap:csdl-lltp:v2"
PATH = "/ws/LyLichTuPhap"
MAX_PAGE_SIZE = 200

SENTENCE_CODE = {"FINE": "01", "NON_CUSTODIAL": "02", "IMPRISONMENT": "03", "SUSPENDED": "04"}
EXECUTION_CODE = {"SERVING": "1", "COMPLETED": "2", "TERMINATED": "3"}
NEW, UPDATED = "01", "02"

Entry = tuple[int, int, datetime | None]  # (maThayDoi, person index, change time or None)


def compact_date(day: date) -> str:
    """``yyyyMMdd``."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def compact_time(moment: datetime) -> str:
    """``yyyyMMddHHmmss`` in Vietnam time."""
    return moment.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


class JudicialService(SoapService):
    """The simulated judicial-records change feed over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
        record_share: share of adults with a record.
    """

    namespace = NAMESPACE
    path = PATH

    def __init__(
        self,
        province: Province,
        faults: FaultInjector | None = None,
        record_share: float = RECORD_SHARE,
    ) -> None:
        super().__init__(faults)
        self.province = province
        self.records = judicial_records(province, record_share)

    def operations(self) -> dict[str, Callable[[SoapRequest], MockResponse]]:
        """The service's operations."""
        return {"LayThayDoiLyLichTuPhap": self._changes}

    def _changes(self, request: SoapRequest) -> MockResponse:
        size = min(request.integer("soLuong", 100, low=1, high=100_000), MAX_PAGE_SIZE)
        after = request.integer("tuMaThayDoi", 0)
        entries = self.entries_after(after, size + 1)
        body = {
            "ketQua": "00",
            "conDuLieu": "1" if len(entries) > size else "0",
            "BanGhi": [self.render_entry(entry) for entry in entries[:size]],
        }
        return response("LayThayDoiLyLichTuPhap", NAMESPACE, body)

    def entries_after(self, after: int, size: int) -> list[Entry]:
        """Up to ``size`` listed entries whose id is greater than ``after``, ascending."""
        holders = self.records.holders
        out: list[Entry] = []
        for position in range(max(0, after), len(holders)):
            index = holders[position]
            if self.province.timeline.death_of(index, self.province.population) is None:
                out.append((position + 1, index, None))
                if len(out) == size:
                    return out
        log = self.province.timeline.changed_since(BASE_TIME)
        for position in range(max(0, after - len(holders)), len(log)):
            change = log[position]
            if change.kind != "death" or not self.records.has_record(change.index):
                continue
            if self.province.timeline.death_of(change.index, self.province.population) is change:
                out.append((len(holders) + 1 + position, change.index, change.at))
                if len(out) == size:
                    break
        return out

    def render_entry(self, entry: Entry) -> dict[str, Any]:
        """The native ``BanGhi`` of one entry, with the source's quirks (and faults)."""
        change_id, index, changed = entry
        record = self.records.record(index)
        person = self.province.population.person(index)
        if changed is None:
            moment = datetime.combine(record.last_event, time(8, 30), VN_TZ)
        else:
            moment = changed
        row: dict[str, Any] = {
            "maThayDoi": change_id,
            "loaiThayDoi": NEW if changed is None else UPDATED,
            "thoiDiem": compact_time(moment),
            "LyLich": {
                "soDinhDanh": person.pin,
                "hoTen": person.full_name,
                "ngaySinh": f"{person.birth.year:04d}{person.birth.month or 0:02d}"
                f"{person.birth.day or 0:02d}",
                "daChet": "1" if record.deceased_on else "0",
                "ngayChet": compact_date(record.deceased_on) if record.deceased_on else None,
                "BanAn": [_judgment(c) for c in record.convictions],
                "phienBan": 1 if changed is None else 2,
            },
        }
        if self.province.malformed(SOURCE, index):
            _corrupt(row, derive_seed(self.province.config.seed, SOURCE, index))
        return row


def _judgment(c: Conviction) -> dict[str, Any]:
    return {
        "toaAn": c.court,
        "soBanAn": c.judgment_number,
        "ngayTuyenAn": compact_date(c.judgment_date),
        "maToiDanh": c.offence_code,
        "tenToiDanh": c.offence,
        "maHinhPhat": SENTENCE_CODE[c.sentence],
        "thoiHanThang": c.sentence_months,
        "soTienPhat": c.fine_vnd,
        "maTinhTrangChapHanh": EXECUTION_CODE[c.execution],
        "ngayKetThucChapHanh": compact_date(c.execution_ended) if c.execution_ended else None,
        "daXoaAnTich": "1" if c.expunged_on else "0",
        "ngayXoaAnTich": compact_date(c.expunged_on) if c.expunged_on else None,
    }


#: The ways an entry can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "unknown_sentence", "missing_pin", "bad_term", "no_judgment")


def _corrupt(row: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    record, judgment = row["LyLich"], row["LyLich"]["BanAn"][0]
    if kind == "bad_date":
        judgment["ngayTuyenAn"] = judgment["ngayTuyenAn"][:4] + "1332"
    elif kind == "unknown_sentence":
        judgment["maHinhPhat"] = "99"
    elif kind == "missing_pin":
        del record["soDinhDanh"]
    elif kind == "bad_term":
        judgment["thoiHanThang"] = "mười hai"
        judgment["maHinhPhat"] = "03"
    else:
        record["BanAn"] = []
