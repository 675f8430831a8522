"""A simulation of the Ministry of Education and Training's degree-register API.

Its style is not the other sources': Vietnamese PascalCase field names, the Ministry's
own code lists (``LoaiVanBang`` TNTHPT/TC/CD/DH/THS/TS, ``XepLoai`` XS/G/K/TBK/TB),
``dd/mm/yyyy`` dates (year only for some old holders), update times as epoch
milliseconds, names printed upper case on some diplomas, and no ``CCCD`` (PIN) on degrees
graduated before 2016.

Endpoint (path of :meth:`DegreeService.get`):

``/vbcc/api/v1/vanbang``
    ``updated_after`` (epoch ms, strict: ``ThoiGianCapNhat > updated_after``) or
    ``cursor`` (an opaque token from a ``next`` link), and ``page_size`` (≤
    :data:`MAX_PAGE_SIZE`). Rows are ordered by ``(ThoiGianCapNhat, MaTruong:SoHieu)``.
    Answer: ``{"items": [...], "links": {"self": ..., "next": <path or null>}}``.

Faults come from a :class:`~hub.province.faults.FaultInjector`.
"""

from __future__ import annotations

import base64
import itertools
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from hub.province import Province, derive_seed
from hub.province.degrees import Degree, DegreeRegister
from hub.province.faults import FaultInjector
from hub.province.transport import MockResponse, faulty

SOURCE = "degrees"
PATH = "/vbcc/api/v1/vanbang"
MAX_PAGE_SIZE = 250
QUALIFICATION_CODE = {
    "HIGH_SCHOOL": "TNTHPT",
    "VOCATIONAL": "TC",
    "BACHELOR": "DH",
    "MASTER": "THS",
}
CLASS_CODE = {
    "EXCELLENT": "XS",
    "VERY_GOOD": "G",
    "GOOD": "K",
    "FAIRLY_GOOD": "TBK",
    "AVERAGE": "TB",
}
#: Sorts after every key: a position "after every record at this time".
AFTER_ALL = "\U0010ffff"

Position = tuple[int, str]  # (ThoiGianCapNhat ms, key)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def encode_token(position: Position) -> str:
    """The opaque token of a position (what a ``next`` link carries)."""
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode()


def _decode_token(token: str) -> Position:
    ms, key = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    return int(ms), str(key)


class DegreeService:
    """The simulated degree register over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        self.province = province
        self.register = DegreeRegister(province)
        self.faults = faults or FaultInjector()
        self.calls = 0

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer one request (may raise :class:`~hub.province.transport.SimulatedTimeout`)."""
        self.calls += 1
        if path != PATH:
            return MockResponse(404, b'{"status": 404, "title": "Not Found"}')
        try:
            size = min(int(params.get("page_size", str(MAX_PAGE_SIZE))), MAX_PAGE_SIZE)
            if params.get("cursor"):
                after = _decode_token(params["cursor"])
            else:
                after = (int(params.get("updated_after", "-1")), AFTER_ALL)
        except (ValueError, TypeError) as exc:
            problem = {"status": 400, "title": "Bad Request", "detail": str(exc)}
            return MockResponse(400, orjson.dumps(problem))
        moment = datetime.fromtimestamp(after[0] / 1000, UTC) if after[0] >= 0 else None
        found = (d for d in self.register.since(moment) if (_ms(d.updated_at), d.key) > after)
        window = list(itertools.islice(found, size + 1))
        items = [self.render(d) for d in window[:size]]
        next_link = None
        if len(window) > size:
            last = window[size - 1]
            query = urlencode({"cursor": encode_token((_ms(last.updated_at), last.key)),
                               "page_size": size})  # fmt: skip
            next_link = f"{PATH}?{query}"
        body = {"items": items, "links": {"self": f"{PATH}?{urlencode(params)}", "next": next_link}}
        return await faulty(self.faults, MockResponse(200, orjson.dumps(body)))

    def render(self, degree: Degree) -> dict[str, Any]:
        """The native JSON item of a degree (corrupted when the province says so)."""
        holder = self.province.population.person(degree.holder)
        key = derive_seed(self.province.config.seed, SOURCE, degree.subject)
        name = holder.full_name
        if key % 5 == 0:
            name = name.upper()  # as printed on the diploma
        elif key % 5 == 1:
            name = unicodedata.normalize("NFD", name)
        item: dict[str, Any] = {
            "MaTruong": degree.institution_code,
            "TenTruong": degree.institution_name,
            "SoHieuVanBang": degree.number,
            "HoTen": name,
            "NgaySinh": holder.birth.to_vn(),
            "LoaiVanBang": QUALIFICATION_CODE[degree.qualification],
            "NganhDaoTao": {"Ma": degree.field[0], "Ten": degree.field[1]}
            if degree.field
            else None,
            "NamTotNghiep": degree.graduation_year,
            "XepLoai": CLASS_CODE[degree.classification] if degree.classification else None,
            "NgayCap": degree.issued_on.strftime("%d/%m/%Y"),
            "PhienBan": degree.version,
            "ThoiGianCapNhat": _ms(degree.updated_at),
        }
        if degree.with_pin:
            item["CCCD"] = holder.pin
        if self.province.malformed(SOURCE, degree.subject):
            _corrupt(item, key)
        return item


#: The ways an item can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_birth_date", "bad_pin", "missing_name", "unknown_code", "bad_year")


def _corrupt(item: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_pin" and "CCCD" in item:
        item["CCCD"] = item["CCCD"][:3] + "-" + item["CCCD"][4:]
    elif kind == "missing_name":
        item["HoTen"] = "   "
    elif kind == "unknown_code":
        item["LoaiVanBang"] = "BANG-KHAC"
    elif kind == "bad_year":
        item["NamTotNghiep"] = f"K{item['NamTotNghiep'] % 100:02d}"  # a cohort, not a year
    else:
        item["NgaySinh"] = "30/02/" + item["NgaySinh"][-4:]
