"""Degree register: mapping examples, a mutation property, and the mock's next links."""

from __future__ import annotations

import contextlib
import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.degrees.adapter import DegreesAdapter
from connectors.degrees.mapping import DegreesMapper
from connectors.degrees.mock import DegreeService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import Cursor, NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.degrees import PIN_SINCE, DegreeRegister
from tests.unit.mutations import JSON_VALUES

SCHEMAS = SchemaStore(Path(__file__).resolve().parents[2] / "schemas")
CODEC = AvroCodec(SCHEMAS.get("degrees", "degree"))
PROVINCE = Province(ProvinceConfig(seed=22, citizens=400, malformed_rate=0.0))
ITEMS = [DegreeService(PROVINCE).render(d) for d in DegreeRegister(PROVINCE).since(None)]


def _first(**where: Any) -> dict[str, Any]:
    found = next(i for i in ITEMS if all(f(i) for f in where.values()))
    return copy.deepcopy(found)


def _map(item: Any) -> list[Any]:
    return list(DegreesMapper().map("degrees", NativeRecord(item)))


def test_recent_degree_carries_the_holder_pin() -> None:
    item = _first(
        recent=lambda i: i["NamTotNghiep"] >= PIN_SINCE, uni=lambda i: i["LoaiVanBang"] == "DH"
    )
    [record] = _map(item)
    assert record.key == f"{item['MaTruong']}:{item['SoHieuVanBang']}" == record.value["degree_id"]
    assert record.value["holder_pin"] == item["CCCD"]
    assert record.value["qualification"] == "BACHELOR"
    assert record.value["field_code"] == item["NganhDaoTao"]["Ma"]
    assert isinstance(record.value["issue_date"], date)
    CODEC.encode(record.value)


def test_old_degree_has_no_pin_but_keeps_name_and_birth_date() -> None:
    item = _first(old=lambda i: i["NamTotNghiep"] < PIN_SINCE)
    [record] = _map(item)
    assert record.value["holder_pin"] is None
    assert record.value["holder_full_name"]
    assert record.value["holder_birth_date"]["iso"]
    CODEC.encode(record.value)


def test_upper_case_names_are_normalised_and_kept() -> None:
    item = _first(any=lambda i: True)
    item["HoTen"] = "NGUYỄN VĂN AN"
    [record] = _map(item)
    assert record.value["holder_full_name"] == "Nguyễn Văn An"
    assert record.value["holder_full_name_original"] == "NGUYỄN VĂN AN"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("NgaySinh", "30/02/1990", "NgaySinh"),
        ("CCCD", "074-01000001", "CCCD"),
        ("HoTen", "   ", "HoTen"),
        ("LoaiVanBang", "BANG-KHAC", "LoaiVanBang"),
        ("NamTotNghiep", "K42", "NamTotNghiep"),
        ("ThoiGianCapNhat", "hôm qua", "ThoiGianCapNhat"),
    ],
)
def test_malformed_items_raise_record_errors_naming_the_field(
    field: str, value: Any, reason: str
) -> None:
    item = _first(any=lambda i: True)
    item[field] = value
    with pytest.raises(RecordError, match=reason):
        _map(item)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_mutation_maps_and_encodes_or_raises_a_record_error(data: Any) -> None:
    item = copy.deepcopy(data.draw(st.sampled_from(ITEMS[:50])))
    target = item
    if item.get("NganhDaoTao") and data.draw(st.booleans()):
        target = item["NganhDaoTao"]
    key = data.draw(st.sampled_from(sorted(target)))
    if data.draw(st.booleans()):
        del target[key]
    else:
        target[key] = data.draw(JSON_VALUES)
    try:
        records = _map(item)
    except RecordError:
        return
    for record in records:
        with contextlib.suppress(RecordError):
            CODEC.encode(record.value)


async def _drain(
    adapter: DegreesAdapter, cursor: Cursor | None, limit: int
) -> tuple[list[str], Cursor | None]:
    keys: list[str] = []
    while True:
        page = await adapter.fetch("degrees", cursor, limit)
        keys += [f"{r.payload['MaTruong']}:{r.payload['SoHieuVanBang']}" for r in page.records]
        cursor = page.cursor
        if not page.has_more:
            return keys, cursor


async def test_next_links_and_resume_miss_nothing_and_repeat_nothing() -> None:
    expected = [f"{i['MaTruong']}:{i['SoHieuVanBang']}" for i in ITEMS]
    adapter = DegreesAdapter(DegreeService(PROVINCE), page_size=9)
    assert (await _drain(adapter, None, 9))[0] == expected
    page = await adapter.fetch("degrees", None, 11)
    assert len(page.records) == 9
    fresh = DegreesAdapter(DegreeService(PROVINCE), page_size=4)  # no next link: a restart
    assert expected[:9] + (await _drain(fresh, page.cursor, 4))[0] == expected


async def test_incremental_pull_returns_degrees_issued_on_the_timeline() -> None:
    province = Province(ProvinceConfig(seed=23, citizens=600))
    adapter = DegreesAdapter(DegreeService(province))
    first, cursor = await _drain(adapter, None, 250)
    province.timeline.advance(5)
    new, _ = await _drain(DegreesAdapter(DegreeService(province)), cursor, 250)
    assert new
    assert not set(new) & set(first)
