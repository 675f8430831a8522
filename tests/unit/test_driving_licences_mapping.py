"""Licence rows → canonical records: examples, and any mutation maps or is a RecordError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.driving_licences.licences import licence_of
from connectors.driving_licences.mapping import DrivingLicencesMapper
from connectors.driving_licences.mock import COLUMNS, LicenceExport
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import NativeRecord
from hub.province import Province, ProvinceConfig
from tests.unit.mutations import check_maps_or_rejects, mutated_rows

REPO = Path(__file__).resolve().parents[2]
PROVINCE = Province(ProvinceConfig(seed=9, citizens=400, malformed_rate=0))
EXPORT = LicenceExport(PROVINCE)
ROWS = {
    i: dict(zip(COLUMNS, row, strict=True))
    for i in range(400)
    if (row := EXPORT.render(i, None)) is not None
}
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("driving_licences", "driving_licence"))
MAPPER = DrivingLicencesMapper()
VALUES = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.sampled_from(["", " ", "20240231", "00000000", "A1,,B2", "THU HOI", "GIAY", "0" * 12]),
)


def map_one(row: dict[str, Any]) -> dict[str, Any]:
    (record,) = MAPPER.map("licences", NativeRecord(row))
    CODEC.encode(record.value or {})
    assert record.value is not None
    return record.value


def test_linked_and_paper_licences() -> None:
    paper = [i for i in ROWS if (lic := licence_of(PROVINCE, i)) and lic.paper]
    linked = [i for i in ROWS if (lic := licence_of(PROVINCE, i)) and not lic.paper]
    assert paper and linked
    value = map_one(ROWS[paper[0]])
    assert (value["holder_pin"], value["link_status"], value["medium"]) == (
        None, "UNLINKABLE", "PAPER",
    )  # fmt: skip
    value = map_one(ROWS[linked[0]])
    person = PROVINCE.population.person(linked[0])
    assert value["holder_pin"] == person.pin and value["link_status"] == "LINKED"
    assert value["holder_name_printed"].isupper() and value["holder_name_printed"].isascii()
    assert value["holder_birth_date"]["iso"] == person.birth.iso
    assert value["licence_number"] == licence_of(PROVINCE, linked[0]).number  # type: ignore[union-attr]


def test_example_row() -> None:
    row = {
        "SO_GPLX": "740000000001", "SO_CCCD": "", "HO_TEN": "NGUYEN VAN AN",
        "NGAY_SINH": "19500000", "HANG": "A1,B2", "NGAY_CAP": "20050115", "NGAY_HET_HAN": "",
        "TRANG_THAI": "TAM DINH CHI", "NOI_CAP": "SO GTVT BINH DUONG", "LOAI_PHOI": "GIAY",
        "NGAY_CAP_NHAT": "2024-01-02T08:00:00", "PHIEN_BAN": "2",
    }  # fmt: skip
    value = map_one(row)
    assert value["holder_birth_date"] == {"iso": "1950", "precision": "YEAR"}
    assert value["classes"] == ["A1", "B2"] and value["expiry_date"] is None
    assert value["status"] == "SUSPENDED" and value["holder_name"] == "Nguyen Van An"
    assert value["meta"]["updated_at"].isoformat() == "2024-01-02T01:00:00+00:00"


def test_a_death_revokes_the_licence() -> None:
    province = Province(ProvinceConfig(seed=10, citizens=600, change_rate=0.05))
    export = LicenceExport(province)
    changes = province.timeline.advance(3)
    died = [c.index for c in changes if c.kind == "death" and list(export.affected(c))]
    assert died
    row = export.render(died[0], province.timeline.now)
    assert row is not None
    value = map_one(dict(zip(COLUMNS, row, strict=True)))
    assert value["status"] == "REVOKED" and value["meta"]["source_version"] == "2"


@settings(max_examples=400, deadline=None)
@given(mutated_rows(list(ROWS.values()), COLUMNS, VALUES))
def test_any_mutation_encodes_or_is_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "licences", CODEC, row)
