"""Civil-status e-registry: mapping examples, a mutation property, and paging of the mock."""

from __future__ import annotations

import contextlib
import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.civil_status import CONNECTOR
from connectors.civil_status.adapter import CivilStatusAdapter
from connectors.civil_status.mapping import CivilStatusMapper
from connectors.civil_status.mock import CivilStatusService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import Cursor, NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.civil_status import CivilRegister
from hub.province.discrepancies import DiscrepancyType
from tests.unit.mutations import JSON_VALUES

SCHEMAS = SchemaStore(Path(__file__).resolve().parents[2] / "schemas")
CODECS = {e: AvroCodec(SCHEMAS.get("civil_status", e)) for e in CONNECTOR.entities}
PROVINCE = Province(ProvinceConfig(seed=21, citizens=400, malformed_rate=0.0))
SERVICE = CivilStatusService(PROVINCE)
ROWS = [SERVICE.render(r) for r in CivilRegister(PROVINCE).since(None)]


def _first(kind: str, **where: Any) -> dict[str, Any]:
    return copy.deepcopy(
        next(
            r
            for r in ROWS
            if r["record_type"] == kind and all(r.get(k) == v for k, v in where.items())
        )
    )


def _map(row: Any) -> list[Any]:
    return list(CivilStatusMapper().map("registrations", NativeRecord(row)))


def test_birth_maps_child_and_parents() -> None:
    row = _first("birth")
    [record] = _map(row)
    child = PROVINCE.population.person(
        next(i for i in range(400) if PROVINCE.population.pin(i) == row["child"]["pin"])
    )
    assert record.entity == "birth"
    assert record.key == child.pin
    assert record.value["child_birth_date"]["iso"] == child.birth.iso
    assert record.value["child_sex"] == child.sex
    assert record.value["mother_pin"] == (
        PROVINCE.population.pin(child.mother) if child.mother is not None else None
    )
    assert isinstance(record.value["registration_date"], date)
    assert record.value["registration_place"]["code_system"] == "OLD_63"
    CODECS["birth"].encode(record.value)


def test_birth_without_declared_father() -> None:
    row = _first("birth")
    row.pop("father_pin", None)
    [record] = _map(row)
    assert record.value["father_pin"] is None


def test_marriage_keyed_by_registration_number_with_both_spouses() -> None:
    row = _first("marriage", status="registered")
    [record] = _map(row)
    assert record.key == row["registration_no"]
    assert record.value["husband_pin"] == row["husband"]["pin"]
    assert record.value["wife_pin"] == row["wife"]["pin"]
    assert record.value["status"] == "REGISTERED"
    CODECS["marriage"].encode(record.value)


def test_dissolved_marriage_carries_its_dissolution_date() -> None:
    [record] = _map(_first("marriage", status="dissolved"))
    assert record.value["status"] == "DISSOLVED"
    assert isinstance(record.value["dissolution_date"], date)


def test_death_keyed_by_the_deceased_pin() -> None:
    row = _first("death")
    [record] = _map(row)
    assert record.key == row["deceased"]["pin"] == record.value["pin"]
    CODECS["death"].encode(record.value)


def test_deceased_elsewhere_has_a_death_record_while_population_says_alive() -> None:
    province = Province(ProvinceConfig(seed=3, citizens=2000, discrepancy_rate=0.05))
    register = CivilRegister(province)
    shown = [
        i
        for i in range(2000)
        if province.discrepancy_of(i) is DiscrepancyType.DECEASED_ELSEWHERE
        and province.population.person(i).status == "ALIVE"
    ]
    assert shown
    assert all(register.death_of(i) is not None for i in shown)


def test_timeline_deaths_appear_as_new_registrations() -> None:
    province = Province(ProvinceConfig(seed=8, citizens=500))
    register = CivilRegister(province)
    before = {r.number for r in register.since(None)}
    deaths = [c for c in province.timeline.advance(5) if c.kind == "death"]
    after = list(register.since(province.population.initial_load_end))
    assert deaths and after
    assert all(r.kind == "death" and r.number not in before for r in after)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r.update(record_type="adoption"), "record_type"),
        (lambda r: r.update(registration_date="2020-02-30"), "registration_date"),
        (lambda r: r.pop("child"), "child"),
        (lambda r: r["child"].update(pin="07420100000X"), "child.pin"),
        (lambda r: r["child"].update(sex="U"), "child.sex"),
    ],
)
def test_malformed_rows_raise_record_errors_naming_the_field(mutate: Any, reason: str) -> None:
    row = _first("birth")
    mutate(row)
    with pytest.raises(RecordError, match=reason):
        _map(row)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["birth", "death", "marriage"]))
def test_any_mutation_maps_and_encodes_or_raises_a_record_error(data: Any, kind: str) -> None:
    row = _first(kind)
    path = data.draw(st.sampled_from(_paths(row)))
    parent = row
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_VALUES)
    try:
        records = _map(row)
    except RecordError:
        return
    for record in records:
        with contextlib.suppress(RecordError):
            CODECS[record.entity].encode(record.value)


async def _drain(adapter: CivilStatusAdapter, cursor: Cursor | None, limit: int) -> list[str]:
    numbers: list[str] = []
    while True:
        page = await adapter.fetch("registrations", cursor, limit)
        numbers += [r.payload["registration_no"] for r in page.records]
        cursor = page.cursor
        if not page.has_more:
            return numbers


async def test_paging_resumes_from_any_cursor_without_gaps_or_repeats() -> None:
    expected = [r["registration_no"] for r in ROWS]
    adapter = CivilStatusAdapter(CivilStatusService(PROVINCE), page_size=13)
    assert await _drain(adapter, None, 13) == expected
    page = await adapter.fetch("registrations", None, 10)
    again = await adapter.fetch("registrations", page.cursor, 10)
    assert [r.payload["registration_no"] for r in page.records + again.records] == expected[:20]
    fresh = CivilStatusAdapter(CivilStatusService(PROVINCE), page_size=7)
    assert expected[:10] + await _drain(fresh, page.cursor, 7) == expected
