"""Card register rows → canonical HealthInsuranceCard records (examples and a property)."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.health_insurance.mapping import HealthInsuranceMapper
from connectors.health_insurance.mock import CORRUPTIONS, TABLE, HealthInsuranceDb, _corrupt
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from hub.province.sqlsource import MAX_PENDING_QUERIES
from tests.unit.mutations import mutated_columns

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("health_insurance", "health_insurance_card"))
MAPPER = HealthInsuranceMapper()
PROVINCE = Province(ProvinceConfig(seed=22, citizens=500, malformed_rate=0, discrepancy_rate=0.02))
DB = HealthInsuranceDb(PROVINCE)


def _rows() -> dict[int, dict[str, Any]]:
    """Rows as they come out of the database (the NUMERIC PIN column included)."""
    connection = DB.connect()
    for _ in range(MAX_PENDING_QUERIES + 1):  # let every late commit land
        connection.execute("SELECT 1").fetchall()
    result = connection.execute(f"SELECT * FROM {TABLE.name}")
    names = [d[0] for d in result.description]
    by_si = {dict(zip(names, r, strict=True))["MA_SO_BHXH"]: r for r in result.fetchall()}
    rows = {}
    for i in range(500):
        for native in DB.rows_of(i):
            rows[i] = dict(zip(names, by_si[native["MA_SO_BHXH"]], strict=True))
    return rows


ROWS = _rows()
ALL = list(ROWS.values())


def _map(row: dict[str, Any]) -> dict[str, Any]:
    (record,) = MAPPER.map("cards", NativeRecord(row))
    assert record.value is not None
    CODEC.encode(record.value)
    return record.value


def test_every_clean_row_maps_and_encodes_with_its_pin_restored() -> None:
    population = PROVINCE.population
    assert 0.8 < len(ROWS) / 500 < 0.97  # about 90% insured
    for i, row in ROWS.items():
        assert isinstance(row["SO_DDCN"], int)  # the NUMERIC column dropped the zero
        value = _map(row)
        assert value["pin"] == population.pin(i)
        assert value["card_code"][5:] == value["social_insurance_code"]
        assert len(value["card_code"]) == 15


def test_sex_mismatch_is_shown_here() -> None:
    population = PROVINCE.population
    flipped = [i for i in ROWS if PROVINCE.discrepancy_of(i) is DiscrepancyType.SEX_MISMATCH]
    assert flipped
    for i in ROWS:
        same = _map(ROWS[i])["sex"] == population.person(i).sex
        assert same is (i not in flipped)


def test_renewal_and_death_over_the_timeline() -> None:
    province = Province(ProvinceConfig(seed=23, citizens=300, malformed_rate=0))
    db = HealthInsuranceDb(province)
    before = {i: db.rows_of(i) for i in range(300)}
    changes = province.timeline.advance(60)
    after = {i: db.rows_of(i) for i in range(300)}
    renewed = [
        i for i in after
        if after[i] and before[i] and after[i][0]["GT_TU"] > before[i][0]["GT_TU"]
    ]  # fmt: skip
    assert renewed, "no card was renewed in sixty days"
    dead = {c.index for c in changes if c.kind == "death"}
    withdrawn = [i for i in dead if after[i]]
    assert withdrawn and all(_map(after[i][0])["status"] == "TERMINATED" for i in withdrawn)
    assert all(after[i][0]["NGAY_CN"] > before[i][0]["NGAY_CN"] for i in renewed)


def test_pin_as_text_is_accepted_too() -> None:
    row = copy.deepcopy(ALL[0])
    row["SO_DDCN"] = f"{row['SO_DDCN']:012d}"
    assert _map(row)["pin"] == row["SO_DDCN"]


@pytest.mark.parametrize("kind", range(len(CORRUPTIONS)))
def test_every_corruption_kind_is_a_record_error(kind: int) -> None:
    row = copy.deepcopy(ALL[1])
    _corrupt(row, kind << 8)
    with pytest.raises(RecordError):
        _map(row)


@pytest.mark.parametrize(
    "value", [float("inf"), float("nan"), 1.9, 1.0, True, "1.0", "x", 7, "1" * 5000]
)
def test_a_status_that_is_not_an_integer_code_is_a_record_error(value: object) -> None:
    row = {**ALL[1], "TRANG_THAI": value}
    with pytest.raises(RecordError, match="TRANG_THAI"):
        _map(row)


def test_a_card_code_with_digits_other_than_0_to_9_is_a_record_error() -> None:
    row = ALL[1]
    card = str(row["MA_THE"])
    superscript = {**row, "MA_THE": f"{card[:2]}\u00b2{card[3:]}", "MUC_HUONG": "\u00b2"}
    with pytest.raises(RecordError, match="MA_THE"):
        _map(superscript)


@pytest.mark.parametrize(("value", "status"), [(2, "SUSPENDED"), (" 3 ", "TERMINATED")])
def test_a_status_code_maps_as_an_integer_or_its_digits(value: object, status: str) -> None:
    assert _map({**ALL[1], "TRANG_THAI": value})["status"] == status


_VALUES = st.one_of(
    st.none(), st.text(max_size=20), st.integers(), st.floats(), st.booleans(),
    st.sampled_from(["", "20240231", "GD4747400000001", "7400000001", "1", "3", "0"]),
)  # fmt: skip


@given(mutated_columns(ALL, TABLE.column_names, _VALUES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_mutation_maps_and_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    with contextlib.suppress(RecordError):
        _map(row)
