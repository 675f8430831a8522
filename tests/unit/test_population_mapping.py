"""Population native records → canonical Citizen/Household (decision 6: bad input is a
RecordError, dead-lettered; never any other exception)."""

from __future__ import annotations

import asyncio
import copy
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.population.mapping import PopulationMapper
from connectors.population.mock import CORRUPTIONS, PopulationService
from hub.codec import AvroCodec, SchemaStore
from hub.codec.frozen import FrozenRecord
from hub.connect.records import NativeRecord
from hub.errors import MappingError, NormaliseError, RecordError
from hub.normalise.dates import DatePrecision
from hub.province import Province, ProvinceConfig

REPO = Path(__file__).resolve().parents[2]
STORE = SchemaStore(REPO / "schemas")
CITIZEN = AvroCodec(STORE.get("population", "citizen"))
HOUSEHOLD = AvroCodec(STORE.get("population", "household"))
CODECS = {"citizen": CITIZEN, "household": HOUSEHOLD}
MAPPER = PopulationMapper()

_SERVICE = PopulationService(Province(ProvinceConfig(citizens=400, malformed_rate=0)))
_POP = _SERVICE.population
ROWS: list[dict[str, Any]] = [_SERVICE.render_citizen(_POP.person(i)) for i in range(400)]
HOUSEHOLD_ROWS: list[dict[str, Any]] = json.loads(
    asyncio.run(_SERVICE.get("/api/v1/hogiadinh", {"kichThuocTrang": "40"})).body
)["duLieu"]["danhSach"]


def _row(predicate: Any) -> dict[str, Any]:
    """A deep copy of the first clean row (with its person) matching ``predicate``."""
    for i, row in enumerate(ROWS):
        if predicate(row, _POP.person(i)):
            return copy.deepcopy(row)
    raise LookupError("no such row in the synthetic province")


def _map(row: dict[str, Any], stream: str = "citizens") -> dict[str, Any]:
    (record,) = MAPPER.map(stream, NativeRecord(row))
    assert record.value is not None
    CODECS[record.entity].encode(record.value)
    return record.value


# -- examples ----------------------------------------------------------------------------


def test_every_clean_row_maps_and_encodes() -> None:
    for i, row in enumerate(ROWS):
        (record,) = MAPPER.map("citizens", NativeRecord(row))
        assert record.key == _POP.person(i).pin
        assert record.entity == "citizen"
        assert record.source_version == "1"
        assert record.value is not None
        CITIZEN.encode(record.value)


def test_clean_household_rows_map_and_encode() -> None:
    for row in HOUSEHOLD_ROWS:
        value = _map(row, "households")
        assert value["household_id"] == row["maHoGiaDinh"]
        assert value["members"][0]["relationship"] == "HEAD"
        assert value["head_pin"] == row["soDinhDanhChuHo"]


def test_year_only_birth_date() -> None:
    row = _row(lambda r, p: p.birth.precision is DatePrecision.YEAR)
    assert len(row["ngaySinh"]) == 4
    value = _map(row)
    assert value["birth_date"] == {"iso": row["ngaySinh"], "precision": "YEAR"}
    row["ngaySinh"] = "1950"
    assert _map(row)["birth_date"] == {"iso": "1950", "precision": "YEAR"}


def test_month_and_day_birth_dates() -> None:
    row = _row(lambda r, p: True)
    row["ngaySinh"] = "03/1950"
    assert _map(row)["birth_date"] == {"iso": "1950-03", "precision": "MONTH"}
    row["ngaySinh"] = "7/3/1950"
    assert _map(row)["birth_date"] == {"iso": "1950-03-07", "precision": "DAY"}


def test_nfd_name_becomes_nfc_with_original_kept() -> None:
    row = _row(lambda r, p: not unicodedata.is_normalized("NFC", r["hoVaTen"]))
    value = _map(row)
    assert value["full_name"] == unicodedata.normalize("NFC", row["hoVaTen"])
    assert unicodedata.is_normalized("NFC", value["full_name"])
    assert value["full_name_original"] == row["hoVaTen"]


def test_upper_case_name_becomes_title_case() -> None:
    row = _row(lambda r, p: r["hoVaTen"] == r["hoVaTen"].upper())
    value = _map(row)
    assert value["full_name_original"] == row["hoVaTen"]
    assert value["full_name"] == _POP.person(ROWS.index(row)).full_name
    row["hoVaTen"] = "  NGUYỄN   THỊ  THÙY   ANH "
    assert _map(row)["full_name"] == "Nguyễn Thị Thùy Anh"


def test_labels_become_enums() -> None:
    row = _row(lambda r, p: p.relationship == "SPOUSE" and p.sex == "FEMALE")
    value = _map(row)
    assert (value["sex"], value["marital_status"], value["relationship_to_head"]) == (
        "FEMALE",
        "MARRIED",
        "SPOUSE",
    )
    assert value["status"] == "ALIVE"
    row.update(gioiTinh=" NAM ", tinhTrangHonNhan="Ly hôn", quanHeVoiChuHo="Con")
    row["trangThai"] = "Mất tích"
    value = _map(row)
    assert (value["sex"], value["marital_status"], value["relationship_to_head"]) == (
        "MALE",
        "DIVORCED",
        "CHILD",
    )
    assert value["status"] == "MISSING"
    row["tinhTrangHonNhan"] = None
    row["quanHeVoiChuHo"] = None
    value = _map(row)
    assert value["marital_status"] == "UNKNOWN"
    assert value["relationship_to_head"] is None


def test_deceased_with_date_of_death() -> None:
    row = _row(lambda r, p: p.status == "DECEASED")
    value = _map(row)
    assert value["status"] == "DECEASED"
    assert value["date_of_death"]["precision"] == "DAY"


def test_old_list_address_gets_2025_codes() -> None:
    row = _row(lambda r, p: True)
    value = _map(row)
    address = value["permanent_address"]
    assert address["raw"] == row["thuongTru"]["diaChiChiTiet"]
    assert address["code_system"] == "OLD_63"
    assert (address["province_code"], address["district_code"], address["ward_code"]) == (
        row["thuongTru"]["maTinh"],
        row["thuongTru"]["maHuyen"],
        row["thuongTru"]["maXa"],
    )
    assert address["province_code_2025"] == "79"  # Binh Duong joined Ho Chi Minh City
    assert address["mapping"] in ("EXACT", "AMBIGUOUS")
    if address["mapping"] == "EXACT":
        assert address["ward_code_2025"] is not None
        assert address["candidates_2025"] == [address["ward_code_2025"]]
    assert address["as_of"] == value["meta"]["updated_at"].date().isoformat()
    assert value["temporary_address"] is None


def test_one_address_is_one_frozen_record_shared_by_every_record_it_is_in() -> None:
    """A household's members (and a current residence that is the permanent one) share
    one FrozenRecord, which the Avro writer writes once; no one can change it."""
    row = _row(lambda r, p: r["noiOHienTai"] == r["thuongTru"])
    value = _map(row)
    address = value["permanent_address"]
    assert type(address) is FrozenRecord and value["current_address"] is address
    assert _map(copy.deepcopy(row))["permanent_address"] is address
    with pytest.raises(TypeError):
        address["raw"] = "Số 1, đường Khác"
    with pytest.raises(TypeError):
        address["candidates_2025"].append("26734")


def test_some_addresses_map_exactly() -> None:
    exact = sum(_map(r)["permanent_address"]["mapping"] == "EXACT" for r in ROWS[:100])
    assert exact > 0


def test_meta_and_relations() -> None:
    row = _row(lambda r, p: p.relationship == "CHILD" and p.father is not None)
    value = _map(row)
    assert value["meta"]["source"] == "population"
    assert value["meta"]["source_record_id"] == row["soDinhDanh"]
    assert value["meta"]["source_version"] == "1"
    assert value["meta"]["updated_at"].utcoffset().total_seconds() == 0
    assert value["father_pin"] == row["soDinhDanhCha"]
    assert value["household_head_pin"] == row["soDinhDanhChuHo"]
    assert value["nationality"] == "VN"


# -- corruptions -------------------------------------------------------------------------

#: corruption kind → the native field whose name the rejection reason must carry.
CORRUPTED_FIELD = {
    "bad_date": "ngaySinh",
    "bad_pin": "soDinhDanh",
    "missing_name": "hoVaTen",
    "bad_sex": "gioiTinh",
}


def _corruption_kind(clean: dict[str, Any], broken: dict[str, Any]) -> str:
    if "hoVaTen" not in broken:
        return "missing_name"
    differing = [k for k in clean if clean[k] != broken.get(k)]
    assert len(differing) == 1, differing
    return {v: k for k, v in CORRUPTED_FIELD.items()}[differing[0]]


def test_corruptions_cover_the_mock_list() -> None:
    assert set(CORRUPTED_FIELD) == set(CORRUPTIONS)


def test_each_corruption_is_a_record_error_naming_the_field() -> None:
    broken_service = PopulationService(Province(ProvinceConfig(citizens=400, malformed_rate=1)))
    seen: dict[str, int] = dict.fromkeys(CORRUPTIONS, 0)
    for i in range(120):
        broken = broken_service.render_citizen(broken_service.population.person(i))
        kind = _corruption_kind(ROWS[i], broken)
        seen[kind] += 1
        with pytest.raises(RecordError) as info:
            MAPPER.map("citizens", NativeRecord(broken))
        assert isinstance(info.value, MappingError | NormaliseError)
        assert CORRUPTED_FIELD[kind] in str(info.value), (kind, str(info.value))
    assert all(count > 0 for count in seen.values()), seen


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("ngayCapNhat", "yesterday", "ngayCapNhat"),
        ("phienBan", None, "phienBan"),
        ("soDinhDanh", "", "soDinhDanh"),
        ("soDinhDanh", "999200123456", "soDinhDanh"),
        ("soCMND", "12345", "soCMND"),
        ("tinhTrangHonNhan", "Phức tạp", "tinhTrangHonNhan"),
        ("trangThai", "Không rõ", "trangThai"),
        ("ngayMat", "32/13/2020", "ngayMat"),
        ("soDinhDanhCha", "12", "soDinhDanhCha"),
        ("thuongTru", "Số 1, đường Mới", "thuongTru"),
        ("hoVaTen", "Nguyễn Văn 3", "hoVaTen"),
    ],
)
def test_bad_fields_name_the_field(field: str, value: Any, match: str) -> None:
    row = copy.deepcopy(ROWS[0])
    row[field] = value
    with pytest.raises(RecordError, match=match):
        MAPPER.map("citizens", NativeRecord(row))


def test_not_an_object() -> None:
    with pytest.raises(MappingError, match="not a JSON object"):
        MAPPER.map("citizens", NativeRecord(["a", "list"]))


# -- property: arbitrary damage is a RecordError or a valid record -------------------------

_JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", " ", "00", "74", "31/02/2020", "2024-13-01T00:00:00", "Nam"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@st.composite
def _damaged(draw: st.DrawFn, rows: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(rows)))
    for _ in range(draw(st.integers(1, 4))):
        target: Any = row
        # sometimes reach into a nested object (addresses, members)
        nested = [k for k, v in row.items() if isinstance(v, dict) and v]
        go_deeper: bool = draw(st.booleans())
        if nested and go_deeper:
            target = row[draw(st.sampled_from(sorted(nested)))]
        if not isinstance(target, dict) or not target:
            continue
        key = draw(st.sampled_from(sorted(target)))
        if draw(st.integers(0, 3)) == 0:
            del target[key]
        else:
            target[key] = draw(_JUNK)
    return row


def _map_and_encode(stream: str, row: dict[str, Any]) -> None:
    """Map then validate/encode, as the runtime does: a RecordError at either stage is a
    dead letter; any other exception escapes and fails the test."""
    try:
        records = MAPPER.map(stream, NativeRecord(row))
        for record in records:
            assert record.value is not None
            CODECS[record.entity].encode(record.value)
    except RecordError:
        return


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged(ROWS[:40]))
def test_damaged_citizen_is_record_error_or_valid(row: dict[str, Any]) -> None:
    _map_and_encode("citizens", row)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged(HOUSEHOLD_ROWS))
def test_damaged_household_is_record_error_or_valid(row: dict[str, Any]) -> None:
    _map_and_encode("households", row)


# -- stricter: what the mapper returns must already fit the schema --------------------------


@pytest.mark.parametrize("empty", [{}, []])
def test_empty_household_address_is_a_mapping_error(empty: Any) -> None:
    row = copy.deepcopy(HOUSEHOLD_ROWS[0])
    row["diaChi"] = empty
    with pytest.raises(MappingError, match="diaChi"):
        MAPPER.map("households", NativeRecord(row))


@pytest.mark.parametrize("field", ["danToc", "tonGiao", "noiSinh", "maHoGiaDinh"])
def test_non_text_free_text_field_is_a_mapping_error(field: str) -> None:
    row = copy.deepcopy(ROWS[0])
    row[field] = ["not", "text"]
    with pytest.raises(RecordError, match=field):
        MAPPER.map("citizens", NativeRecord(row))
