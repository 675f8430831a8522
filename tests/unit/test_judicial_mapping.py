"""Judicial records: generation, mapping examples, the change feed's cursor and a property."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.judicial import CONNECTOR
from connectors.judicial.adapter import LISTS, JudicialAdapter
from connectors.judicial.mapping import JudicialMapper
from connectors.judicial.mock import NAMESPACE, JudicialService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.mock_options import shared_province
from hub.connect.records import Cursor, NativeRecord
from hub.connect.soap_client import element_record, parse_answer
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.judicial import ADULT_BORN_BY, judicial_records
from hub.province.soap import response
from tests.unit.mutations import check_maps_or_rejects, mutated_tree

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("judicial", "judicial_record"))
MAPPER = JudicialMapper()


@functools.cache
def province(malformed: float = 0.0) -> Province:
    return Province(ProvinceConfig(seed=21, citizens=4000, malformed_rate=malformed))


@functools.cache
def entries(malformed: float = 0.0) -> list[tuple[int, dict[str, Any]]]:
    """(person index, native entry as the adapter hands it over) for every listed entry."""
    service = JudicialService(province(malformed))
    return [(e[1], _wire(service.render_entry(e))) for e in service.entries_after(0, 10**6)]


def _wire(native: dict[str, Any]) -> dict[str, Any]:
    element = parse_answer(response("X", NAMESPACE, {"R": native}), "X", NAMESPACE)[0]
    return element_record(element, LISTS)


def test_only_a_small_share_of_adults_has_a_record() -> None:
    records = judicial_records(province())
    adults = sum(
        1 for i in range(4000) if province().population.person(i).birth.year <= ADULT_BORN_BY
    )
    share = len(records.holders) / adults
    assert 0.01 <= share <= 0.03
    assert all(records.has_record(i) for i in records.holders)
    others = set(range(4000)) - set(records.holders)
    assert not any(records.has_record(i) for i in others)
    for index in records.holders:
        assert province().population.person(index).birth.year <= ADULT_BORN_BY


def test_generation_is_deterministic_and_coherent() -> None:
    again = judicial_records(Province(ProvinceConfig(seed=21, citizens=4000)))
    first = judicial_records(province())
    assert list(again.holders) == list(first.holders)
    for index in first.holders[:20]:
        record = first.record(index)
        assert record == again.record(index)
        for c in record.convictions:
            assert c.judgment_date < date(2024, 1, 1)
            assert (c.execution == "SERVING") == (c.execution_ended is None)
            assert c.expunged_on is None or c.execution == "COMPLETED"


def test_every_entry_maps_and_encodes() -> None:
    keys = set()
    for index, native in entries():
        (record,) = MAPPER.map("records", NativeRecord(native))
        CODEC.encode(record.value or {})
        assert record.key == province().population.pin(index)
        keys.add(record.key)
    assert len(keys) == len(entries()) > 30


def test_example_entry() -> None:
    native = {
        "maThayDoi": "17", "loaiThayDoi": "01", "thoiDiem": "20210602083000",
        "LyLich": {
            "soDinhDanh": "074194162102", "hoTen": "Đặng Hoài Thảo", "ngaySinh": "19940208",
            "daChet": "0", "phienBan": "1",
            "BanAn": [{
                "toaAn": "Tòa án nhân dân thành phố Thủ Dầu Một", "soBanAn": "141/2018/HS-ST",
                "ngayTuyenAn": "20181202", "maToiDanh": "173", "tenToiDanh": "Trộm cắp tài sản",
                "maHinhPhat": "03", "thoiHanThang": "18", "maTinhTrangChapHanh": "2",
                "ngayKetThucChapHanh": "20200602", "daXoaAnTich": "1",
                "ngayXoaAnTich": "20210602",
            }],
        },
    }  # fmt: skip
    (record,) = MAPPER.map("records", NativeRecord(native))
    value = record.value or {}
    assert value["record_status"] == "EXPUNGED"
    (conviction,) = value["convictions"]
    assert conviction["sentence"] == "IMPRISONMENT"
    assert conviction["sentence_months"] == 18
    assert conviction["expunged_on"] == date(2021, 6, 2)
    assert "full_name" not in value  # looked up by PIN only
    assert value["meta"]["updated_at"].isoformat() == "2021-06-02T01:30:00+00:00"


def test_schema_marks_sensitive_data() -> None:
    assert "Sensitive" in CODEC.schema.definition["doc"]


def test_malformed_entries_are_record_errors() -> None:
    prov, bad = province(0.2), 0
    for index, native in entries(0.2):
        try:
            MAPPER.map("records", NativeRecord(native))
        except RecordError:
            bad += 1
            assert prov.malformed("judicial", index)
    assert bad > 3


async def _drain(
    adapter: JudicialAdapter, cursor: Cursor | None, limit: int
) -> tuple[list[str], Cursor | None]:
    ids: list[str] = []
    while True:
        page = await adapter.fetch("records", cursor, limit)
        ids += [r.payload["maThayDoi"] for r in page.records]
        cursor = page.cursor
        if not page.has_more:
            return ids, cursor


async def test_last_id_cursor_pages_and_resumes() -> None:
    service = JudicialService(province())
    full, cursor = await _drain(JudicialAdapter(service), None, 200)
    assert [int(i) for i in full] == sorted(int(i) for i in full)
    assert cursor == {"last_id": int(full[-1])}
    small, _ = await _drain(JudicialAdapter(service, page_size=7), None, 7)
    assert small == full
    first = await JudicialAdapter(service, page_size=10).fetch("records", None, 10)
    rest, _ = await _drain(JudicialAdapter(service), first.cursor, 200)
    assert [r.payload["maThayDoi"] for r in first.records] + rest == full


async def test_a_holders_death_appears_as_a_new_entry() -> None:
    options = {"province": {"seed": 22, "citizens": 3000, "change_rate": 0.2}, "record_share": 0.3}
    adapter = CONNECTOR.make_adapter(options)
    assert isinstance(adapter, JudicialAdapter)
    _, cursor = await _drain(adapter, None, 200)
    prov = shared_province(ProvinceConfig(**options["province"]))  # type: ignore[arg-type]
    prov.timeline.advance()
    page = await adapter.fetch("records", cursor, 200)
    assert page.records
    for native in (r.payload for r in page.records):
        assert native["loaiThayDoi"] == "02"
        assert native["LyLich"]["daChet"] == "1"
        (record,) = MAPPER.map("records", NativeRecord(native))
        statuses = {c["execution_status"] for c in (record.value or {})["convictions"]}
        assert "SERVING" not in statuses
    again = await adapter.fetch("records", page.cursor, 200)
    assert again.records == []


REPLACEMENTS = st.one_of(
    st.none(),
    st.text(max_size=24),
    st.sampled_from(["", "0", "1", "99", "20201332", "2020020", "999999999999999", "-1"]),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    st.lists(st.text(max_size=4), max_size=2),
)


def _samples() -> list[dict[str, Any]]:
    return [n for _, n in entries()[:30]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tree(_samples, REPLACEMENTS))
def test_any_mutation_maps_or_raises_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "records", CODEC, row)
