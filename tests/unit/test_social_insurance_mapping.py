"""Social-insurance rows → canonical records: keying, periods, claims, and a property."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.social_insurance.mapping import SocialInsuranceMapper
from connectors.social_insurance.mock import COLUMNS, InsuranceExport, participant_of
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.errors import RecordError
from hub.province import Province, ProvinceConfig
from tests.unit.mutations import check_maps_or_rejects, mutated_rows

REPO = Path(__file__).resolve().parents[2]
PROVINCE = Province(ProvinceConfig(seed=9, citizens=400, malformed_rate=0))
EXPORT = InsuranceExport(PROVINCE)
ROWS = {
    i: dict(zip(COLUMNS, row, strict=True))
    for i in range(400)
    if (row := EXPORT.render(i, None)) is not None
}
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("social_insurance", "social_insurance"))
MAPPER = SocialInsuranceMapper()
VALUES = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.sampled_from(["", "2020-13/2021-01/1", "2020-01//99999999999999", "OM:", "TT:2024-02-30"]),
)


def map_one(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (record,) = MAPPER.map("participants", NativeRecord(row))
    assert record.value is not None
    CODEC.encode(record.value)
    return record.key, record.value


def test_linked_rows_are_keyed_by_pin_and_legacy_rows_by_si_code() -> None:
    linked = [i for i in ROWS if participant_of(PROVINCE, i).linked]  # type: ignore[union-attr]
    legacy = [i for i in ROWS if not participant_of(PROVINCE, i).linked]  # type: ignore[union-attr]
    assert linked and legacy
    person = PROVINCE.population.person(linked[0])
    key, value = map_one(ROWS[linked[0]])
    assert key == person.pin == value["pin"] and value["key_type"] == "PIN"
    key, value = map_one(ROWS[legacy[0]])
    assert key == value["si_code"] and len(key) == 10 and value["key_type"] == "SI_CODE"
    assert value["pin"] is None
    assert value["legacy_id_number"] == PROVINCE.population.person(legacy[0]).legacy_id


def test_example_row() -> None:
    row = {
        "ma_so_bhxh": "7400000001", "so_dinh_danh": "074085000123", "so_cmnd": "",
        "ho_ten": "Trần Thị Thuỷ", "ngay_sinh": "1985-03", "gioi_tinh": "Nữ",
        "trang_thai": "DUNG_THAM_GIA", "loai_hinh": "BB", "ma_don_vi": "3700000003",
        "qua_trinh_dong": "2005-01/2010-12/5200000;2011-01/2024-01/7800000",
        "che_do_huong": "TS:2012-05-01;TT:2024-01-02", "ngay_cap_nhat": "2024-01-02T07:00:43+07:00",
        "phien_ban": "2",
    }  # fmt: skip
    _, value = map_one(row)
    assert value["birth_date"] == {"iso": "1985-03", "precision": "MONTH"}
    assert value["contribution_periods"][1] == {
        "from_month": "2011-01", "to_month": "2024-01", "salary_base_vnd": 7_800_000,
    }  # fmt: skip
    assert [c["kind"] for c in value["benefit_claims"]] == ["MATERNITY", "SURVIVORSHIP"]
    assert value["participation_status"] == "STOPPED" and value["employer_code"] == "3700000003"


def test_a_salary_of_thousands_of_digits_is_a_record_error() -> None:
    row = {**next(iter(ROWS.values())), "qua_trinh_dong": "2005-01/2010-12/" + "9" * 5000}
    with pytest.raises(RecordError, match="implausible salary"):
        map_one(row)


def test_a_death_stops_the_insurance() -> None:
    province = Province(ProvinceConfig(seed=10, citizens=600, change_rate=0.05))
    export = InsuranceExport(province)
    changes = province.timeline.advance(3)
    died = [c.index for c in changes if c.kind == "death" and list(export.affected(c))]
    assert died
    row = export.render(died[0], province.timeline.now)
    assert row is not None
    _, value = map_one(dict(zip(COLUMNS, row, strict=True)))
    assert value["participation_status"] == "STOPPED"
    assert value["benefit_claims"][-1]["kind"] == "SURVIVORSHIP"
    assert value["contribution_periods"][-1]["to_month"] is not None


@settings(max_examples=400, deadline=None)
@given(mutated_rows(list(ROWS.values()), COLUMNS, VALUES, extra="extra"))
def test_any_mutation_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "participants", CODEC, row)
