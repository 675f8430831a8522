"""A simulation of the National Business Registration System's data-sharing API.

Paged REST/JSON (Ministry of Finance): ``GET /api/dkdn/v2/doanh-nghiep`` with ``offset``
and ``limit`` (at most :data:`MAX_LIMIT` per request, as the portal caps it) and a
``modifiedSince`` filter (local ISO time, inclusive). Items are ordered by
(``ngayCapNhat``, ``maSoDoanhNghiep``); the answer carries ``total``, the number of items
matching the filter. Vietnamese field names, ``dd/mm/yyyy`` dates, type and status as
labels, head-office addresses in the code list of their registration date (``danhMuc``
"63" before 2025-07-01, "34" after).

Over time: an enterprise whose legal representative dies is updated (suspended when it
was active). Faults come from a :class:`~hub.province.faults.FaultInjector`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from hub.normalise.dates import VN_TZ, parse_timestamp
from hub.province import Province, derive_seed
from hub.province.enterprises import Enterprises, enterprises_of
from hub.province.faults import FaultInjector
from hub.province.transport import MockResponse, faulty

SOURCE = "business_registration"
PATH = "/api/dkdn/v2/doanh-nghiep"
MAX_LIMIT = 20
KIND_LABEL = {"PRIVATE": "Doanh nghiệp tư nhân", "LLC_ONE": "Công ty TNHH một thành viên",
              "LLC_MULTI": "Công ty TNHH hai thành viên trở lên", "JSC": "Công ty cổ phần",
              "PARTNERSHIP": "Công ty hợp danh"}  # fmt: skip
STATUS_LABEL = {"ACTIVE": "Đang hoạt động", "SUSPENDED": "Tạm ngừng kinh doanh",
                "DISSOLVING": "Đang làm thủ tục giải thể", "DISSOLVED": "Đã giải thể",
                "BANKRUPT": "Phá sản"}  # fmt: skip


def _local(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


class RegistryService:
    """The simulated registry API over one province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        self.province = province
        self.enterprises: Enterprises = enterprises_of(province)
        self.faults = faults or FaultInjector()
        self.calls = 0
        self._sorted: tuple[int, list[tuple[datetime, str, int]]] = (-1, [])

    def _index(self) -> list[tuple[datetime, str, int]]:
        """(modified, code, number) of every enterprise now, in API order (cached per step)."""
        timeline = self.province.timeline
        if self._sorted[0] != timeline.steps:
            ent, now = self.enterprises, timeline.now
            rows = [(ent.status_as_of(n, now)[1], ent.code(n), n) for n in range(ent.count)]
            self._sorted = (timeline.steps, sorted(rows))
        return self._sorted[1]

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer one request (may raise :class:`~hub.province.transport.SimulatedTimeout`)."""
        self.calls += 1
        if path != PATH:
            return MockResponse(404, b'{"ma": "404", "thongBao": "Not Found"}')
        try:
            offset = int(params.get("offset", "0"))
            limit = min(int(params.get("limit", str(MAX_LIMIT))), MAX_LIMIT)
            since = params.get("modifiedSince")
            moment = parse_timestamp(since, field="modifiedSince") if since else None
        except ValueError:
            return MockResponse(400, b'{"ma": "400", "thongBao": "Bad Request"}')
        if offset < 0 or limit < 1:
            return MockResponse(400, b'{"ma": "400", "thongBao": "Bad Request"}')
        matching = [r for r in self._index() if moment is None or r[0] >= moment]
        items = [self.render(n) for _, _, n in matching[offset : offset + limit]]
        body = {"ma": "00", "total": len(matching), "offset": offset, "limit": limit,
                "items": items}  # fmt: skip
        return await faulty(self.faults, MockResponse(200, orjson.dumps(body)))

    def render(self, number: int) -> dict[str, Any]:
        """The native JSON record of enterprise ``number`` now (with corruption, if any)."""
        ent = self.enterprises.enterprise(number)
        population = self.province.population
        status, modified, version = self.enterprises.status_as_of(
            number, self.province.timeline.now
        )
        office = ent.head_office
        record: dict[str, Any] = {
            "maSoDoanhNghiep": ent.code,
            "tenTiengViet": ent.name_vi,
            "tenTiengNuocNgoai": ent.name_en,
            "tenVietTat": ent.abbreviation,
            "loaiHinh": KIND_LABEL[ent.kind],
            "tinhTrang": STATUS_LABEL[status],
            "ngayThanhLap": ent.registered.strftime("%d/%m/%Y"),
            "diaChiTruSo": {
                "diaChi": office.raw,
                "danhMuc": "63" if office.code_system == "OLD_63" else "34",
                "maTinh": office.province_code,
                "maHuyen": office.district_code,
                "maXa": office.ward_code,
            },
            "vonDieuLe": ent.charter_capital,
            "nguoiDaiDien": [
                {"soDinhDanh": population.pin(i), "chucDanh": "Giám đốc" if k == 0 else "Chủ tịch"}
                for k, i in enumerate(ent.representatives)
            ],
            "thanhVien": [
                {"soDinhDanh": population.pin(m.index), "tyLeGopVon": m.share_percent}
                for m in ent.members
            ],
            "chiNhanh": [{"maChiNhanh": b.code, "tenChiNhanh": b.name} for b in ent.branches],
            "phienBan": version,
            "ngayCapNhat": _local(modified),
        }
        if self.province.malformed(SOURCE, number):
            _corrupt(record, derive_seed(self.province.config.seed, SOURCE, number))
        return record


#: The ways a record can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_check_digit", "bad_capital", "missing_name", "bad_date", "bad_member_pin")


def _corrupt(record: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_check_digit":
        code = record["maSoDoanhNghiep"]
        record["maSoDoanhNghiep"] = code[:9] + str((int(code[9]) + 1) % 10)
    elif kind == "bad_capital":
        record["vonDieuLe"] = "mười tỷ đồng"
    elif kind == "missing_name":
        del record["tenTiengViet"]
    elif kind == "bad_date":
        record["ngayThanhLap"] = "30/02/2010"
    else:
        record["thanhVien"][0]["soDinhDanh"] = "07420100000X"
