"""Residence DB rows → canonical Residence records (mapping examples and a property)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.residence.mapping import ResidenceMapper
from connectors.residence.mock import CORRUPTIONS, TABLE, ResidenceDb, _corrupt
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from tests.unit.mutations import mutated_columns

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("residence", "residence"))
MAPPER = ResidenceMapper()
PROVINCE = Province(ProvinceConfig(seed=21, citizens=600, malformed_rate=0, discrepancy_rate=0.02))
PROVINCE.timeline.advance(2)
DB = ResidenceDb(PROVINCE)
ROWS = {i: DB.rows_of(i) for i in range(600)}
ALL = [row for rows in ROWS.values() for row in rows]


def _map(row: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for record in MAPPER.map("registrations", NativeRecord(row)):
        assert record.value is not None
        CODEC.encode(record.value)
        out.append(record.value)
    return out


def test_every_clean_row_maps_and_encodes() -> None:
    mapped = [value for row in ALL for value in _map(row)]
    assert {v["address"]["code_system"] for v in mapped} == {"OLD_63", "NEW_34"}
    for value in mapped:
        old = value["registration_date"] < "2025-07-01"
        assert (value["address"]["code_system"] == "OLD_63") is old
        assert (value["address"]["district_code"] is not None) is old


def test_a_move_cancels_the_old_registration_and_maps_only_the_new_one() -> None:
    moved = next(rows for rows in ROWS.values() if len(rows) > 1)
    old, new = moved[-2], moved[-1]
    assert (old["trang_thai"], old["ly_do_xoa"]) == ("Đã xóa đăng ký", "Chuyển nơi cư trú")
    assert old["ngay_cap_nhat"] == new["ngay_cap_nhat"] and old["so_dk"] < new["so_dk"]
    assert _map(old) == []
    (value,) = _map(new)
    assert value["status"] == "ACTIVE" and value["previous_registration_id"] == old["so_dk"]
    assert value["address"]["code_system"] == "NEW_34"  # moves happen in the 2026 clock


def test_a_death_cancels_the_registration() -> None:
    died = [
        rows[-1] for i, rows in ROWS.items()
        if rows and any(c.kind == "death" for c in PROVINCE.timeline.changes_of(i))
        and rows[-1]["ly_do_xoa"] == "Đã chết"
    ]  # fmt: skip
    assert died
    (value,) = _map(died[0])
    assert (value["status"], value["cancellation_reason"]) == ("CANCELLED", "DECEASED")
    assert value["cancelled_date"] is not None


def test_discrepancies_owned_by_the_residence_db() -> None:
    kinds = {i: PROVINCE.discrepancy_of(i) for i in ROWS}
    missing = [i for i, k in kinds.items() if k is DiscrepancyType.MISSING_FROM_SOURCE]
    stale = [i for i, k in kinds.items() if k is DiscrepancyType.STALE_RECORD]
    assert missing and all(ROWS[i] == [] for i in missing)
    assert stale and all(ROWS[i][0]["ngay_cap_nhat"] < "2022" for i in stale)
    split = [i for i, k in kinds.items() if k is DiscrepancyType.SPLIT_WARD]
    reused = [i for i, k in kinds.items() if k is DiscrepancyType.ADDRESS_CODE_REUSE]
    for i in split:
        (value,) = _map(ROWS[i][0])
        assert value["address"]["mapping"] == "AMBIGUOUS"
    reused_codes = {w.code for w in PROVINCE.population.reused_wards}
    assert split or reused
    for i in reused:
        (value,) = _map(ROWS[i][0])
        assert value["address"]["code_system"] == "OLD_63"
        assert value["address"]["ward_code"] in reused_codes  # the old code, never the new one
        assert value["address"]["ward_code_2025"] != value["address"]["ward_code"]


@pytest.mark.parametrize("kind", range(len(CORRUPTIONS)))
def test_every_corruption_kind_is_a_record_error(kind: int) -> None:
    row = copy.deepcopy(next(r for r in ALL if r["trang_thai"] == "Đang hiệu lực"))
    _corrupt(row, kind << 8)
    with pytest.raises(RecordError):
        _map(row)


_VALUES = st.one_of(
    st.none(), st.text(max_size=40), st.integers(), st.floats(), st.booleans(),
    st.sampled_from(["", "31/02/2020", "01/07/2025", "Đã chết", "Tạm trú", "25750", "74"]),
)  # fmt: skip


@given(mutated_columns(ALL, TABLE.column_names, _VALUES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_mutation_maps_and_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    with contextlib.suppress(RecordError):
        _map(row)
