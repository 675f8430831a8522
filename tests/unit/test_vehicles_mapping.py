"""Vehicle register rows → canonical Vehicle records (examples and a property)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.vehicles.mapping import VehicleMapper
from connectors.vehicles.mock import CORRUPTIONS, TABLE, VehicleRegisterDb, _corrupt
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from hub.province.vehicles import LAST_ADULT_YEAR, Fleet
from tests.unit.mutations import mutated_columns

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("vehicles", "vehicle"))
MAPPER = VehicleMapper()
PROVINCE = Province(ProvinceConfig(seed=24, citizens=600, malformed_rate=0, discrepancy_rate=0.02))
PROVINCE.timeline.advance(3)
DB = VehicleRegisterDb(PROVINCE)
ROWS = {i: DB.rows_of(i) for i in range(600)}
ALL = [row for rows in ROWS.values() for row in rows]


def _map(row: dict[str, Any]) -> dict[str, Any]:
    (record,) = MAPPER.map("registrations", NativeRecord(row))
    assert record.value is not None
    CODEC.encode(record.value)
    assert record.key == record.value["plate"]
    return record.value


def test_every_clean_row_maps_to_a_unique_canonical_plate() -> None:
    values = [_map(row) for row in ALL]
    plates = [v["plate"] for v in values]
    assert len(plates) == len(set(plates))
    assert {v["plate_local_code"] for v in values} == {"61"}
    assert {v["vehicle_type"] for v in values} == {"CAR", "MOTORBIKE"}
    assert any(row["bien_so"] != _map(row)["plate"] for row in ALL), "no compact plate"


def test_owners_are_adults_and_the_fleet_is_deterministic() -> None:
    population = PROVINCE.population
    fleet = Fleet(PROVINCE)
    for i, rows in ROWS.items():
        if rows and PROVINCE.discrepancy_of(i) is not DiscrepancyType.VEHICLE_STOLEN:
            assert population.person(i).birth.year <= LAST_ADULT_YEAR
        assert [v.plate for v in fleet.vehicles_of(i)] == [_map(r)["plate"] for r in rows]


def test_stolen_flag_marks_the_discrepancy_owners() -> None:
    stolen = {i for i, rows in ROWS.items() for r in rows if _map(r)["stolen"]}
    owners = {i for i in ROWS if PROVINCE.discrepancy_of(i) is DiscrepancyType.VEHICLE_STOLEN}
    assert stolen == owners and owners


def test_a_death_withdraws_the_registrations() -> None:
    dead = [
        i for i in ROWS
        if ROWS[i] and any(c.kind == "death" for c in PROVINCE.timeline.changes_of(i))
    ]  # fmt: skip
    assert dead
    for i in dead:
        assert {_map(r)["registration_status"] for r in ROWS[i]} == {"DEREGISTERED"}


@pytest.mark.parametrize("kind", range(len(CORRUPTIONS)))
def test_every_corruption_kind_is_a_record_error(kind: int) -> None:
    row = copy.deepcopy(ALL[0])
    _corrupt(row, kind << 8)
    with pytest.raises(RecordError):
        _map(row)


_VALUES = st.one_of(
    st.none(), st.text(max_size=20), st.integers(), st.floats(), st.booleans(),
    st.sampled_from(["", "61A12345", "61-B1 234.56", "01", "02", "2023-02-30", "Đã thu hồi"]),
)  # fmt: skip


@given(mutated_columns(ALL, TABLE.column_names, _VALUES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_mutation_maps_and_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    with contextlib.suppress(RecordError):
        _map(row)
