"""Land: GeoHash ids, parcels and owners, mapping examples, token paging and a property."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.land import CONNECTOR
from connectors.land.adapter import LISTS, LandAdapter
from connectors.land.geohash import decode, parcel_point
from connectors.land.mapping import LandMapper
from connectors.land.mock import NAMESPACE, LandService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.mock_options import shared_province
from hub.connect.records import Cursor, NativeRecord
from hub.connect.soap_client import element_record, parse_answer
from hub.errors import NormaliseError, RecordError
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from hub.province.land import BBOX, geohash
from hub.province.soap import response
from tests.unit.mutations import check_maps_or_rejects, mutated_tree

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("land", "parcel"))
MAPPER = LandMapper()


@functools.cache
def province(malformed: float = 0.0) -> Province:
    return Province(ProvinceConfig(seed=31, citizens=1500, malformed_rate=malformed))


@functools.cache
def parcels(malformed: float = 0.0) -> list[tuple[int, dict[str, Any]]]:
    """(parcel number, native record as the adapter hands it over) for every parcel."""
    service = LandService(province(malformed))
    start = province().population.initial_load_end.replace(year=2000)
    return [(p.number, _wire(service.render(p))) for p in service._parcels_from(start)]


def _wire(native: dict[str, Any]) -> dict[str, Any]:
    element = parse_answer(response("X", NAMESPACE, {"R": native}), "X", NAMESPACE)[0]
    return element_record(element, LISTS)


# -- GeoHash ---------------------------------------------------------------------------------
def test_geohash_known_value() -> None:
    assert geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"
    lat, lon = decode("u4pruydqqvj")
    assert abs(lat - 57.64911) < 1e-4
    assert abs(lon - 10.40744) < 1e-4


@settings(max_examples=200, deadline=None)
@given(st.floats(BBOX[0], BBOX[2]), st.floats(BBOX[1], BBOX[3]))
def test_geohash_round_trips_within_a_cell(lat: float, lon: float) -> None:
    code = geohash(lat, lon)
    assert len(code) == 12
    back_lat, back_lon = parcel_point(code)
    assert abs(back_lat - lat) < 1e-6
    assert abs(back_lon - lon) < 1e-6


@pytest.mark.parametrize("bad", ["", "w65bncm93ge", "w65bncm93gea", "W65BNCM93GE7", "s00000000000"])
def test_invalid_parcel_ids(bad: str) -> None:
    with pytest.raises(NormaliseError):
        parcel_point(bad)


def test_parcel_ids_are_valid_and_inside_the_province() -> None:
    ids = [native["maThuaDat"] for _, native in parcels()]
    assert len(ids) == len(set(ids)) > 400
    for parcel_id in ids:
        lat, lon = parcel_point(parcel_id)
        assert BBOX[0] <= lat <= BBOX[2]
        assert BBOX[1] <= lon <= BBOX[3]


# -- mapping -----------------------------------------------------------------------------------
def test_every_parcel_maps_and_encodes() -> None:
    for _, native in parcels():
        (record,) = MAPPER.map("parcels", NativeRecord(native))
        CODEC.encode(record.value or {})
        value = record.value or {}
        assert value["legacy_key"] == f"{native['maXa']}-{native['soToBanDo']}-{native['soThua']}"
        assert sum(o["share_percent"] for o in value["owners"]) == 100
        assert value["address"]["ward_code_2025"] or value["address"]["mapping"] != "EXACT"


def test_example_parcel() -> None:
    native = {
        "maThuaDat": "w65bncm93ge7", "maTinh": "74", "maHuyen": "718", "maXa": "25760",
        "soToBanDo": "65", "soThua": "692", "diaChi": "Thửa đất số 692, tờ bản đồ số 65, "
        "Phường Hòa Phú, Thành phố Thủ Dầu Một, Tỉnh Bình Dương", "dienTich": "4838,6",
        "mucDichSuDung": "CLN", "thoiHanSuDung": "15/05/2070", "taiSanChung": "1",
        "ChuSuDung": [
            {"soDinhDanh": "077088668918", "tyLe": "50", "tinhTrang": "Còn sống"},
            {"soDinhDanh": "074190001234", "tyLe": "50", "tinhTrang": "Đã chết"},
        ],
        "soSerieGCN": "CS 324604", "ngayCapGCN": "26/05/2020",
        "HanChe": [{"loai": "KB", "ngayDangKy": "01/03/2023", "coQuan": "Chi cục THADS"}],
        "nghiaVuTaiChinhChuaNop": "15000000", "phienBan": "2",
        "thoiDiemCapNhat": "2024-01-02T07:00:01+07:00",
    }  # fmt: skip
    (record,) = MAPPER.map("parcels", NativeRecord(native))
    value = record.value or {}
    assert record.key == "w65bncm93ge7"
    assert value["area_m2"] == 4838.6
    assert value["long_term"] is False
    assert value["term_until"].isoformat() == "2070-05-15"
    assert [o["deceased"] for o in value["owners"]] == [False, True]
    assert value["encumbrances"][0]["kind"] == "SEIZURE"
    assert value["unpaid_obligations_vnd"] == 15_000_000
    native["thoiHanSuDung"] = "Lâu dài"
    assert (MAPPER.map("parcels", NativeRecord(native))[0].value or {})["long_term"] is True


def test_encumbered_discrepancy_shows_and_only_there() -> None:
    prov = province()
    flagged: set[str] = set()
    blocked: set[str] = set()
    for _, native in parcels():
        value = MAPPER.map("parcels", NativeRecord(native))[0].value or {}
        kinds = {e["kind"] for e in value["encumbrances"]}
        if kinds & {"DISPUTE", "SEIZURE", "PROVISIONAL_MEASURE"}:
            blocked.update(o["pin"] for o in value["owners"])
    for index in range(prov.population.citizens):
        if prov.discrepancy_of(index) is DiscrepancyType.PARCEL_ENCUMBERED:
            flagged.add(prov.population.pin(index))
    assert flagged
    assert flagged <= blocked
    spouses = blocked - flagged  # co-owners of a flagged owner's parcel
    assert len(spouses) <= len(flagged)


def test_married_owners_share_common_property() -> None:
    population = province().population
    index_of = {population.pin(i): i for i in range(population.citizens)}
    common = 0
    for _, native in parcels():
        owners = [index_of[o["soDinhDanh"]] for o in native["ChuSuDung"]]
        if native["taiSanChung"] == "1":
            common += 1
            first, second = owners
            assert population.person(first).spouse == second
            assert [o["tyLe"] for o in native["ChuSuDung"]] == ["50", "50"]
        else:
            assert len(owners) == 1
    assert common > 50


def test_malformed_parcels_are_record_errors() -> None:
    prov, bad = province(0.05), 0
    for number, native in parcels(0.05):
        try:
            MAPPER.map("parcels", NativeRecord(native))
        except RecordError:
            bad += 1
            assert prov.malformed("land", number)
    assert bad > 5


# -- paging ----------------------------------------------------------------------------------------
async def _drain(adapter: LandAdapter, cursor: Cursor | None) -> tuple[list[str], Cursor | None]:
    keys: list[str] = []
    while True:
        page = await adapter.fetch("parcels", cursor, 500)
        keys += [r.payload["maThuaDat"] for r in page.records]
        cursor = page.cursor
        if not page.has_more:
            return keys, cursor


async def test_tokens_and_resume_read_each_parcel_once() -> None:
    service = LandService(province())
    full, _ = await _drain(LandAdapter(service), None)
    assert full == [n["maThuaDat"] for _, n in parcels()]
    first = await LandAdapter(service).fetch("parcels", None, 500)
    assert len(first.records) == 25  # the service's own page size
    rest, _ = await _drain(LandAdapter(service), first.cursor)  # a new adapter: no token
    assert [r.payload["maThuaDat"] for r in first.records] + rest == full


async def test_an_owners_death_updates_the_parcel() -> None:
    options = {"province": {"seed": 32, "citizens": 2000, "change_rate": 0.1}}
    adapter = CONNECTOR.make_adapter(options)
    assert isinstance(adapter, LandAdapter)
    _, cursor = await _drain(adapter, None)
    prov = shared_province(ProvinceConfig(**options["province"]))
    prov.timeline.advance()
    keys, after = await _drain(adapter, cursor)
    assert keys
    for parcel_id in keys:
        assert len(parcel_id) == 12
    page = await adapter.fetch("parcels", cursor, 500)
    for native in (r.payload for r in page.records):
        assert native["phienBan"] == "2"
        assert "Đã chết" in {o["tinhTrang"] for o in native["ChuSuDung"]}
    assert (await adapter.fetch("parcels", after, 500)).records == []


REPLACEMENTS = st.one_of(
    st.none(),
    st.text(max_size=24),
    st.sampled_from(["", "0", "1", "nan", "1e400", "12,5,5", "Lâu dài", "31/02/2020", "TR"]),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    st.lists(st.text(max_size=4), max_size=2),
)


def _samples() -> list[dict[str, Any]]:
    return [n for _, n in parcels() if n.get("HanChe")][:20] + [n for _, n in parcels()[:10]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tree(_samples, REPLACEMENTS))
def test_any_mutation_maps_or_raises_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "parcels", CODEC, row)
