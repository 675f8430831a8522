"""Tax rows → canonical records: keys, legacy codes, the tax_debt discrepancy, a property."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.tax.mapping import TaxMapper
from connectors.tax.mock import COLUMNS, TaxExport
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.errors import NormaliseError, RecordError
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from tests.unit.mutations import check_maps_or_rejects, mutated_rows

REPO = Path(__file__).resolve().parents[2]
PROVINCE = Province(ProvinceConfig(seed=9, citizens=600, malformed_rate=0, discrepancy_rate=0.05))
EXPORT = TaxExport(PROVINCE)
ROWS = {
    slot: dict(zip(COLUMNS, row, strict=True))
    for slot in range(EXPORT.slots())
    if (row := EXPORT.render(slot, None)) is not None
}
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("tax", "tax_account"))
MAPPER = TaxMapper()
VALUES = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.sampled_from(["", "1.000.000.000.000.000.000", "Có", "CA_NHAN", "TO_CHUC", "0100047516"]),
)


def map_one(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (record,) = MAPPER.map("taxpayers", NativeRecord(row))
    assert record.value is not None
    CODEC.encode(record.value)
    return record.key, record.value


def test_enterprise_accounts_are_keyed_by_their_code() -> None:
    code = EXPORT.enterprises.code(0)
    key, value = map_one(ROWS[0])
    assert key == code == value["tax_code"] and value["taxpayer_kind"] == "ENTERPRISE"


def test_individuals_are_keyed_by_pin_with_the_old_code_as_alias() -> None:
    people = [s for s, row in ROWS.items() if row["LOAI_NNT"] == "CA_NHAN"]
    old = [s for s in people if ROWS[s]["MA_SO_THUE"] != ROWS[s]["SO_DINH_DANH"]]
    assert old and len(old) < len(people)
    key, value = map_one(ROWS[old[0]])
    assert key == ROWS[old[0]]["SO_DINH_DANH"] == value["pin"]
    assert value["legacy_tax_code"] == ROWS[old[0]]["MA_SO_THUE"]


def test_tax_debt_discrepancies_are_on_the_persons_own_account() -> None:
    base = EXPORT.enterprises.count
    indebted = {
        s - base for s in ROWS if s >= base and map_one(ROWS[s])[1]["outstanding_debt_vnd"] > 0
    }
    expected = {d.index for d in PROVINCE.manifest() if d.type is DiscrepancyType.TAX_DEBT}
    assert expected and indebted == expected


def test_example_row_and_a_bad_check_digit() -> None:
    row = {
        "MA_SO_THUE": "0100047516", "SO_DINH_DANH": "", "TEN_NGUOI_NOP_THUE": "CÔNG TY X",
        "LOAI_NNT": "TO_CHUC", "TRANG_THAI_MST": "Tạm ngừng hoạt động",
        "NGAY_CAP_MST": "01/02/2003", "SO_TIEN_NO": "12.500.000", "LOAI_NO": "Thuế GTGT",
        "BIEN_PHAP_CUONG_CHE": "Kê biên tài sản|Ngừng sử dụng hóa đơn",
        "TAM_HOAN_XUAT_CANH": "Có", "NGAY_CAP_NHAT": "02/01/2024 08:00:00", "PHIEN_BAN": "2",
    }  # fmt: skip
    _, value = map_one(row)
    assert value["outstanding_debt_vnd"] == 12_500_000 and value["debt_category"] == "VAT"
    assert value["enforcement_measures"] == ["ASSET_SEIZURE", "INVOICE_SUSPENSION"]
    assert value["exit_ban"] is True and value["status"] == "SUSPENDED"
    row["MA_SO_THUE"] = "0100047517"
    with pytest.raises(NormaliseError, match="MA_SO_THUE: wrong check digit"):
        map_one(row)


def test_a_debt_of_thousands_of_digits_is_a_record_error() -> None:
    row = {**next(iter(ROWS.values())), "SO_TIEN_NO": "9" * 5000}
    with pytest.raises(RecordError, match="SO_TIEN_NO"):
        map_one(row)


def test_a_death_closes_the_persons_account() -> None:
    province = Province(ProvinceConfig(seed=10, citizens=800, change_rate=0.05))
    export = TaxExport(province)
    changes = province.timeline.advance(3)
    slots = [s for c in changes if c.kind == "death" for s in export.affected(c)]
    people = [s for s in slots if s >= export.enterprises.count]
    assert people
    row = export.render(people[0], province.timeline.now)
    assert row is not None
    _, value = map_one(dict(zip(COLUMNS, row, strict=True)))
    assert value["status"] == "CLOSED" and value["meta"]["source_version"] == "2"


@settings(max_examples=400, deadline=None)
@given(mutated_rows(list(ROWS.values()), COLUMNS, VALUES))
def test_any_mutation_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "taxpayers", CODEC, row)
