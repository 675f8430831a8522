"""A simulation of the traffic police vehicle register as a SQL source.

One table, ``dang_ky_xe`` (vehicle registrations), one row per vehicle:

==============  ======================================================================
column          content
==============  ======================================================================
bien_so         plate as keyed by the office (primary key): ``61A-123.45``,
                ``61A12345``, ``61-B1 234.56`` or ``61B1-23456`` depending on the office
cccd_chu_xe     owner's PIN
ten_chu_xe      owner's name, as keyed (often without diacritics on old records)
dia_chi_chu_xe  owner's address text
ma_xa_chu_xe    owner's ward, old-list code
loai_xe         code: ``01`` car, ``02`` motorbike
nhan_hieu       make
so_khung        chassis number
so_may          engine number
ngay_dk         first registration date, ISO ``yyyy-mm-dd``
trang_thai      label: ``Đang lưu hành`` or ``Đã thu hồi``
mat_cap         stolen flag, 0 or 1
phien_ban       row version
tg_cap_nhat     last change, ISO with offset ``yyyy-mm-ddTHH:MM:SS+07:00`` (polled)
==============  ======================================================================

Vehicles come from :class:`~hub.province.vehicles.Fleet`. A move updates the owner's
address on every vehicle; a death withdraws the owner's registrations until an heir
re-registers them. Owner of the ``vehicle_stolen`` discrepancy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.normalise.dates import VN_TZ
from hub.normalise.names import strip_diacritics
from hub.province import Province, derive_seed
from hub.province.faults import FaultInjector
from hub.province.sqlsource import SqlSource
from hub.province.sqlwire import SqlTableDef
from hub.province.vehicles import Fleet, Vehicle

SOURCE = "vehicles"
TYPE_CODE = {"CAR": "01", "MOTORBIKE": "02"}
REGISTERED, WITHDRAWN = "Đang lưu hành", "Đã thu hồi"
#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_plate", "bad_owner", "bad_type", "bad_date", "missing_chassis")


def _seconds(value: Any) -> float:
    return datetime.fromisoformat(str(value)).timestamp()


TABLE = SqlTableDef(
    name="dang_ky_xe",
    columns=(
        ("bien_so", "TEXT"),
        ("cccd_chu_xe", "TEXT"),
        ("ten_chu_xe", "TEXT"),
        ("dia_chi_chu_xe", "TEXT"),
        ("ma_xa_chu_xe", "TEXT"),
        ("loai_xe", "TEXT"),
        ("nhan_hieu", "TEXT"),
        ("so_khung", "TEXT"),
        ("so_may", "TEXT"),
        ("ngay_dk", "TEXT"),
        ("trang_thai", "TEXT"),
        ("mat_cap", "INTEGER"),
        ("phien_ban", "INTEGER"),
        ("tg_cap_nhat", "TEXT"),
    ),
    key="bien_so",
    updated_at="tg_cap_nhat",
    seconds=_seconds,
)


def native_plate(vehicle: Vehicle, style: int) -> str:
    """The plate as one office keys it: canonical or compact."""
    if style % 2 == 0:
        return vehicle.plate
    if vehicle.kind == "CAR":  # 61A-123.45 → 61A12345
        return vehicle.plate.replace("-", "").replace(".", "")
    local, rest = vehicle.plate.split("-", 1)  # 61-B1 234.56 → 61B1-23456
    series, number = rest.split(" ")
    return f"{local}{series}-{number.replace('.', '')}"


class VehicleRegisterDb(SqlSource):
    """The simulated vehicle register over one synthetic province (see :class:`SqlSource`)."""

    table = TABLE
    source = SOURCE

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        super().__init__(province, faults)
        self.fleet = Fleet(province)

    def rows_of(self, index: int) -> list[dict[str, Any]]:
        """The rows of every vehicle person ``index`` owns."""
        vehicles = self.fleet.vehicles_of(index)
        if not vehicles:
            return []
        person = self.population.person(index)
        changes = len(self.province.timeline.changes_of(index))
        updated = person.updated_at if changes else self.population.base_updated_at(index)
        seed = self.province.config.seed
        name = person.full_name
        if derive_seed(seed, SOURCE, "name", index) % 4 == 0:  # an old record, keyed in ASCII
            name = strip_diacritics(name).upper()
        ward = person.ward
        rows = []
        for vehicle in vehicles:
            rows.append(
                {
                    "bien_so": native_plate(vehicle, derive_seed(seed, SOURCE, vehicle.plate)),
                    "cccd_chu_xe": person.pin,
                    "ten_chu_xe": name,
                    "dia_chi_chu_xe": f"{person.street}, {ward.name}, {ward.district_name}, "
                    f"{ward.province_name}",
                    "ma_xa_chu_xe": ward.code,
                    "loai_xe": TYPE_CODE[vehicle.kind],
                    "nhan_hieu": vehicle.brand,
                    "so_khung": vehicle.chassis,
                    "so_may": vehicle.engine,
                    "ngay_dk": vehicle.registered.isoformat(),
                    "trang_thai": WITHDRAWN if person.status == "DECEASED" else REGISTERED,
                    "mat_cap": int(vehicle.stolen),
                    "phien_ban": 1 + changes,
                    "tg_cap_nhat": updated.astimezone(VN_TZ).isoformat(timespec="seconds"),
                }
            )
        return self.corrupted(index, rows, _corrupt)


def _corrupt(row: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_plate":
        row["bien_so"] = f"XX{row['bien_so']}"
    elif kind == "bad_owner":
        row["cccd_chu_xe"] = str(row["cccd_chu_xe"])[:-2]
    elif kind == "bad_type":
        row["loai_xe"] = "99"
    elif kind == "bad_date":
        row["ngay_dk"] = str(row["ngay_dk"])[:5] + "13-45"
    else:
        row["so_khung"] = None
