"""A simulation of the provincial land information system's SOAP service.

One SOAP 1.1 operation, namespace :data:`NAMESPACE`, endpoint :data:`PATH`::

    TraCuuBienDongThuaDat(tuThoiDiem, maTiepTheo, soLuong)
      → <ThuaDat>* <maTiepTheo>?

It lists parcels updated at or after ``tuThoiDiem`` (ISO 8601 with offset; absent =
everything), ordered by (update time, parcel id), ``soLuong`` (≤ 25) per page. When more
may follow, the answer carries ``maTiepTheo``, an opaque continuation token: passed
back, it continues strictly after the page's last parcel and takes precedence over
``tuThoiDiem``. Dates are ``dd/mm/yyyy``, areas use a decimal comma, land-use purposes
and restrictions are codes, owners are PINs with shares in percent.

The parcels come from :mod:`hub.province.land`; malformed records in five kinds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from hub.normalise.dates import VN_TZ
from hub.province import Province, derive_seed
from hub.province.faults import FaultInjector
from hub.province.land import HOUSEHOLDS_PER_SECOND, SLOTS, LandRegistry, Parcel
from hub.province.soap import SoapClientFault, SoapRequest, SoapService, response
from hub.province.transport import MockResponse

SOURCE = "land"
NAMESPACE = "urn:tnmt:vpdkdd:thuadat:v1"
PATH = "/services/ThuaDatService"
#: Parcel records are heavy (owners, restrictions): the service pages at most 25 of them.
MAX_PAGE_SIZE = 25

RESTRICTION_CODE = {
    "MORTGAGE": "TC", "DISPUTE": "TR", "SEIZURE": "KB", "PROVISIONAL_MEASURE": "KCTT",
}  # fmt: skip

Position = tuple[datetime, str]  # (update time, parcel id): the service's order


def _vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def encode_token(position: Position) -> str:
    """The opaque continuation token of a position."""
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(token: str) -> Position:
    """The position a token stands for.

    Raises:
        SoapClientFault: not a token this service issued.
    """
    try:
        moment, parcel_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(moment), str(parcel_id)
    except (ValueError, TypeError) as exc:
        raise SoapClientFault("maTiepTheo: invalid continuation token") from exc


class LandService(SoapService):
    """The simulated land service over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    namespace = NAMESPACE
    path = PATH

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        super().__init__(faults)
        self.province = province
        self.registry = LandRegistry(province)

    def operations(self) -> dict[str, Callable[[SoapRequest], MockResponse]]:
        """The service's operations."""
        return {"TraCuuBienDongThuaDat": self._changes}

    def _changes(self, request: SoapRequest) -> MockResponse:
        size = min(request.integer("soLuong", 100, low=1, high=100_000), MAX_PAGE_SIZE)
        token = request.params.get("maTiepTheo")
        since = request.params.get("tuThoiDiem")
        exclusive = token is not None and token != ""
        if exclusive:
            start = decode_token(str(token))
        elif since:
            try:
                start = (datetime.fromisoformat(since), "")
            except ValueError:
                raise SoapClientFault("tuThoiDiem: expected ISO 8601 with offset") from None
            if start[0].tzinfo is None:
                raise SoapClientFault("tuThoiDiem: an offset is required")
        else:
            start = (datetime.min.replace(tzinfo=VN_TZ), "")
        parcels: list[Parcel] = []
        for parcel in self._parcels_from(start[0]):
            if (parcel.updated_at, parcel.parcel_id) > start:
                parcels.append(parcel)
                if len(parcels) > size:
                    break
        page = parcels[:size]
        more = len(parcels) > size
        body = {
            "ThuaDat": [self.render(p) for p in page],
            "maTiepTheo": encode_token((page[-1].updated_at, page[-1].parcel_id)) if more else None,
        }
        return response("TraCuuBienDongThuaDat", NAMESPACE, body)

    def _parcels_from(self, moment: datetime) -> Iterator[Parcel]:
        """Parcels updated at or after ``moment`` (roughly: callers filter), in order."""
        registry, population = self.registry, self.province.population
        initial_end = population.initial_load_end
        if moment < initial_end:
            first = registry.first_household_at(max(moment, registry.initial_updated_at(0)))
            first -= first % HOUSEHOLDS_PER_SECOND
            for group in range(first, population.household_count, HOUSEHOLDS_PER_SECOND):
                households = range(group, min(group + HOUSEHOLDS_PER_SECOND,
                                              population.household_count))  # fmt: skip
                found = [registry.parcel(SLOTS * h + s) for h in households for s in range(SLOTS)]
                unchanged = [p for p in found if p is not None and p.version == 1]
                yield from sorted(unchanged, key=lambda p: p.parcel_id)
        changed: dict[int, Parcel] = {}
        for change in self.province.timeline.changed_since(max(moment, initial_end)):
            if change.kind != "death":
                continue
            for number in registry.affected_by(change.index):
                parcel = registry.parcel(number)
                if parcel is not None and parcel.updated_at == change.at:
                    changed[number] = parcel
        yield from sorted(changed.values(), key=lambda p: (p.updated_at, p.parcel_id))

    def render(self, parcel: Parcel) -> dict[str, Any]:
        """The native ``ThuaDat`` record of a parcel, with the source's quirks (and faults)."""
        population, ward = self.province.population, parcel.ward
        record: dict[str, Any] = {
            "maThuaDat": parcel.parcel_id,
            "maTinh": ward.province_code,
            "maHuyen": ward.district_code,
            "maXa": ward.code,
            "soToBanDo": parcel.map_sheet,
            "soThua": parcel.parcel_no,
            "diaChi": f"Thửa đất số {parcel.parcel_no}, tờ bản đồ số {parcel.map_sheet}, "
            f"{ward.name}, {ward.district_name}, {ward.province_name}",
            "dienTich": f"{parcel.area_m2:.1f}".replace(".", ","),
            "mucDichSuDung": parcel.purpose,
            "thoiHanSuDung": _vn(parcel.term_until) if parcel.term_until else "Lâu dài",
            "taiSanChung": "1" if parcel.common_property else "0",
            "ChuSuDung": [
                {
                    "soDinhDanh": population.pin(index),
                    "tyLe": share,
                    "tinhTrang": "Đã chết" if dead else "Còn sống",
                }
                for index, share, dead in parcel.owners
            ],
            "soSerieGCN": parcel.certificate_serial,
            "ngayCapGCN": _vn(parcel.certificate_date),
            "HanChe": [
                {
                    "loai": RESTRICTION_CODE[e.kind],
                    "ngayDangKy": _vn(e.registered_on),
                    "coQuan": e.holder,
                    "soVanBan": e.reference,
                }
                for e in parcel.encumbrances
            ],
            "nghiaVuTaiChinhChuaNop": parcel.unpaid_vnd,
            "phienBan": parcel.version,
            "thoiDiemCapNhat": parcel.updated_at.astimezone(VN_TZ).isoformat(),
        }
        key = derive_seed(self.province.config.seed, SOURCE, parcel.number)
        if self.province.malformed(SOURCE, parcel.number):
            _corrupt(record, key)
        return record


#: The ways a parcel record can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_geohash", "bad_area", "unknown_purpose", "bad_owner_pin", "bad_shares")


def _corrupt(record: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    owner = record["ChuSuDung"][0]
    if kind == "bad_geohash":  # 'a' is not in the GeoHash alphabet; the order is kept
        record["maThuaDat"] = record["maThuaDat"][:11] + "a"
    elif kind == "bad_area":
        record["dienTich"] = "1O2,5"
    elif kind == "unknown_purpose":
        record["mucDichSuDung"] = "XYZ"
    elif kind == "bad_owner_pin":
        owner["soDinhDanh"] = owner["soDinhDanh"][:10]
    else:
        owner["tyLe"] = 70
