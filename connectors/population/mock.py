"""A simulation of the National Population Database's data-sharing API.

It answers paged JSON queries the way the real service is described: Vietnamese field
names, ``dd/mm/yyyy`` dates (year only for some old records), sex and marital status as
labels, names in NFC, NFD or upper case depending on which office keyed them, the legacy
9-digit CMND beside the PIN, and addresses in the old 63-province code list.

Endpoints (paths of :meth:`PopulationService.get`):

``/api/v1/congdan``   citizens changed since ``tuThoiDiem``, ordered by (ngayCapNhat,
                      soDinhDanh); ``kichThuocTrang`` (≤ 500) per page; ``maTrang`` is the
                      opaque token of the next page.
``/api/v1/hogiadinh`` households, same paging.

Faults come from a :class:`~hub.province.faults.FaultInjector`.
"""

from __future__ import annotations

import base64
import json
import unicodedata
from datetime import datetime
from typing import Any

import orjson

from hub.normalise.dates import PartialDate
from hub.province import Person, Province, derive_seed
from hub.province.discrepancies import DiscrepancyType
from hub.province.faults import FaultInjector
from hub.province.people import TIMESTAMP_GROUP
from hub.province.transport import MockResponse, faulty

MAX_PAGE_SIZE = 500
SOURCE = "population"

SEX_LABEL = {"MALE": "Nam", "FEMALE": "Nữ"}
MARITAL_LABEL = {
    "SINGLE": "Chưa kết hôn", "MARRIED": "Đã kết hôn", "DIVORCED": "Ly hôn", "WIDOWED": "Góa",
}  # fmt: skip
RELATION_LABEL = {"HEAD": "Chủ hộ", "CHILD": "Con"}
STATUS_LABEL = {"ALIVE": "Còn sống", "DECEASED": "Đã chết", "MISSING": "Mất tích"}

Position = tuple[str, str]  # (ngayCapNhat ISO, soDinhDanh)


def _local_iso(moment: datetime) -> str:
    from hub.normalise.dates import VN_TZ

    return moment.astimezone(VN_TZ).isoformat(timespec="seconds")


class PopulationService:
    """The simulated service over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        self.province = province
        self.population = province.population
        self.faults = faults or FaultInjector()
        self.calls = 0

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer one request (may raise :class:`~hub.province.transport.SimulatedTimeout`)."""
        self.calls += 1
        try:
            size = min(int(params.get("kichThuocTrang", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
        except ValueError:
            return MockResponse(400, b'{"maKetQua": "400", "thongDiep": "kichThuocTrang"}')
        start = _decode_token(params.get("maTrang")) or (params.get("tuThoiDiem", ""), "")
        if path == "/api/v1/congdan":
            items, after = self._citizens_after(start, size)
            rows = [self.render_citizen(p) for p in items]
        elif path == "/api/v1/hogiadinh":
            rows, after = self._households_after(start, size)
        else:
            return MockResponse(404, b'{"maKetQua": "404", "thongDiep": "Not Found"}')
        body = {
            "maKetQua": "00",
            "thongDiep": "Thành công",
            "duLieu": {
                "danhSach": rows,
                "maTrangTiep": _encode_token(after) if len(rows) == size else None,
            },
        }
        return await faulty(self.faults, MockResponse(200, orjson.dumps(body)))

    # -- citizens -------------------------------------------------------------------
    def _citizens_after(self, start: Position, size: int) -> tuple[list[Person], Position]:
        """People whose (ngayCapNhat, soDinhDanh) is strictly after ``start``."""
        pop, timeline = self.population, self.province.timeline
        out: list[Person] = []
        initial_end = _local_iso(pop.initial_load_end)
        if start[0] < initial_end:
            group = self._first_group_at_or_after(start[0])
            while len(out) < size and group * TIMESTAMP_GROUP < pop.citizens:
                members = range(
                    group * TIMESTAMP_GROUP, min(pop.citizens, (group + 1) * TIMESTAMP_GROUP)
                )
                people = sorted(
                    (pop.person(i) for i in members if timeline.last_change(i) is None),
                    key=self._stored_pin,
                )
                out.extend(p for p in people if self._position(p) > start)
                group += 1
        if len(out) < size:
            latest = {c.index: c for c in timeline.changed_since(pop.initial_load_end)}
            changed = sorted(
                (pop.person(i) for i, c in latest.items() if timeline.last_change(i) is c),
                key=self._position,
            )
            out.extend(p for p in changed if self._position(p) > start)
        out = out[:size]
        return out, (self._position(out[-1]) if out else start)

    def _position(self, p: Person) -> Position:
        """Where the service keeps a person: (ngayCapNhat, soDinhDanh as stored)."""
        return (_local_iso(p.updated_at), self._stored_pin(p))

    def _stored_pin(self, p: Person) -> str:
        """The PIN as the service stores, orders and serves it: garbled for a record it
        serves with a garbled PIN, so that it pages by what it serves, as a database
        orders by the column it returns (asking does not count the record as served
        malformed: only rendering it does)."""
        if self.province.is_malformed(SOURCE, p.index):
            rng_key = derive_seed(self.province.config.seed, SOURCE, p.index)
            if _corruption(rng_key) == "bad_pin":
                return _garbled_pin(p.pin)
        return p.pin

    def _first_group_at_or_after(self, moment: str) -> int:
        if not moment:
            return 0
        from hub.normalise.dates import parse_timestamp
        from hub.province.people import BASE_TIME

        seconds = (parse_timestamp(moment) - BASE_TIME).total_seconds()
        return max(0, int(seconds))

    def render_citizen(self, p: Person) -> dict[str, Any]:
        """The native JSON record of a person, with the source's quirks (and faults)."""
        pop = self.population
        rng_key = derive_seed(self.province.config.seed, SOURCE, p.index)
        name = p.full_name
        style = rng_key % 10
        if style < 2:
            name = unicodedata.normalize("NFD", name)
        elif style < 4:
            name = name.upper()
        spouse_label = "Vợ" if p.sex == "FEMALE" else "Chồng"
        ward = p.ward
        address = {
            "diaChiChiTiet": f"{p.street}, {ward.name}, {ward.district_name}, {ward.province_name}",
            "maTinh": ward.province_code,
            "maHuyen": ward.district_code,
            "maXa": ward.code,
        }
        record: dict[str, Any] = {
            "soDinhDanh": p.pin,
            "soCMND": p.legacy_id,
            "hoVaTen": name,
            "tenGoiKhac": [],
            "ngaySinh": _birth_as_recorded(self.province, p).to_vn(),
            "gioiTinh": SEX_LABEL[p.sex],
            "noiSinh": "Bình Dương" if p.birth_province == "074" else f"Tỉnh mã {p.birth_province}",
            "noiDangKyKhaiSinh": {"maTinh": p.birth_province[1:]},
            "queQuan": f"{ward.district_name}, {ward.province_name}"
            if p.birth_province == "074"
            else f"Tỉnh mã {p.birth_province}",
            "danToc": p.ethnicity,
            "tonGiao": p.religion,
            "quocTich": "Việt Nam",
            "tinhTrangHonNhan": MARITAL_LABEL[p.marital_status],
            "thuongTru": address,
            "noiOHienTai": address,
            "maHoGiaDinh": p.household_id,
            "soDinhDanhChuHo": pop.pin(pop.household(pop.household_of(p.index)).first),
            "quanHeVoiChuHo": RELATION_LABEL.get(p.relationship, spouse_label),
            "soDinhDanhCha": pop.pin(p.father) if p.father is not None else None,
            "soDinhDanhMe": pop.pin(p.mother) if p.mother is not None else None,
            "soDinhDanhVoChong": pop.pin(p.spouse) if p.spouse is not None else None,
            "trangThai": STATUS_LABEL[p.status],
            "ngayMat": p.death.to_vn() if p.death else None,
            "phienBan": p.version,
            "ngayCapNhat": _local_iso(p.updated_at),
        }
        if self.province.malformed(SOURCE, p.index):
            _corrupt(record, rng_key)
        return record

    # -- households -----------------------------------------------------------------
    def _households_after(self, start: Position, size: int) -> tuple[list[Any], Position]:
        """Households whose (ngayCapNhat, maHoGiaDinh) is strictly after ``start``."""
        pop = self.population
        first_index = min(self._first_group_at_or_after(start[0]) * TIMESTAMP_GROUP,
                          pop.citizens - 1)  # fmt: skip
        number = pop.household_of(first_index)
        rows: list[dict[str, Any]] = []
        after = start
        while len(rows) < size and number < pop.household_count:
            hh = pop.household(number)
            number += 1
            position = (_local_iso(pop.base_updated_at(hh.first)), hh.household_id)
            if position <= start:
                continue
            members = [pop.person(i) for i in hh.members]
            rows.append(
                {
                    "maHoGiaDinh": hh.household_id,
                    "soDinhDanhChuHo": members[0].pin,
                    "thanhVien": [
                        {"soDinhDanh": m.pin, "quanHeVoiChuHo": _relation_label(m)} for m in members
                    ],
                    "diaChi": {
                        "diaChiChiTiet": f"{hh.street}, {hh.ward.name}, {hh.ward.district_name}"
                        f", {hh.ward.province_name}",
                        "maTinh": hh.ward.province_code,
                        "maHuyen": hh.ward.district_code,
                        "maXa": hh.ward.code,
                    },
                    "phienBan": 1,
                    "ngayCapNhat": position[0],
                }
            )
            after = position
        return rows, after


def _birth_as_recorded(province: Province, p: Person) -> PartialDate:
    """The birth date as this source holds it: a year off for an injected entry error."""
    if province.discrepancy_of(p.index) is DiscrepancyType.PIN_INCONSISTENT:
        return PartialDate(p.birth.year + 1, p.birth.month, p.birth.day)
    return p.birth


def _relation_label(p: Person) -> str:
    if p.relationship == "SPOUSE":
        return "Vợ" if p.sex == "FEMALE" else "Chồng"
    return RELATION_LABEL[p.relationship]


def _encode_token(position: Position) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def _decode_token(token: str | None) -> Position | None:
    if not token:
        return None
    ts, pin = json.loads(base64.urlsafe_b64decode(token.encode()))
    return (str(ts), str(pin))


#: The ways a record can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "bad_pin", "missing_name", "bad_sex")


def _corruption(key: int) -> str:
    """Which of :data:`CORRUPTIONS` a malformed record with this seed key gets."""
    return CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]


def _garbled_pin(pin: str) -> str:
    return pin[:5] + "X" + pin[6:]


def _corrupt(record: dict[str, Any], key: int) -> None:
    kind = _corruption(key)
    if kind == "bad_date":
        record["ngaySinh"] = "31/02/" + record["ngaySinh"][-4:]
    elif kind == "bad_pin":
        record["soDinhDanh"] = _garbled_pin(record["soDinhDanh"])
    elif kind == "missing_name":
        del record["hoVaTen"]
    else:
        record["gioiTinh"] = "Không rõ"
