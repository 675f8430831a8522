"""Registry records → canonical enterprises: examples, paging, and a mutation property."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.business_registration.adapter import BusinessRegistrationAdapter
from connectors.business_registration.mapping import BusinessRegistrationMapper
from connectors.business_registration.mock import RegistryService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import Cursor, NativeRecord
from hub.errors import NormaliseError
from hub.province import Province, ProvinceConfig
from tests.unit.mutations import check_maps_or_rejects

REPO = Path(__file__).resolve().parents[2]
PROVINCE = Province(ProvinceConfig(seed=9, citizens=400, malformed_rate=0))
SERVICE = RegistryService(PROVINCE)
RECORDS = [SERVICE.render(n) for n in range(SERVICE.enterprises.count)]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("business_registration", "enterprise"))
MAPPER = BusinessRegistrationMapper()
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=15)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def map_one(record: dict[str, Any]) -> dict[str, Any]:
    (canonical,) = MAPPER.map("enterprises", NativeRecord(record))
    assert canonical.value is not None and canonical.key == canonical.value["enterprise_code"]
    CODEC.encode(canonical.value)
    return canonical.value


def test_every_rendered_enterprise_maps() -> None:
    values = [map_one(r) for r in RECORDS]
    population = PROVINCE.population
    pins = {population.pin(i) for i in range(population.citizens)}
    for value in values:
        assert all(m["pin"] in pins for m in value["members"])
        assert all(r["pin"] in pins for r in value["legal_representatives"])
    offices = {v["head_office"]["code_system"]: v["head_office"] for v in values}
    assert offices["NEW_34"]["mapping"] == "NATIVE"
    assert offices["OLD_63"]["mapping"] == "EXACT"
    assert any(v["branches"] for v in values)


def test_a_wrong_check_digit_is_a_normalise_error() -> None:
    record = copy.deepcopy(RECORDS[0])
    code = record["maSoDoanhNghiep"]
    record["maSoDoanhNghiep"] = code[:9] + str((int(code[9]) + 1) % 10)
    with pytest.raises(NormaliseError, match="check digit"):
        MAPPER.map("enterprises", NativeRecord(record))


async def read(
    adapter: BusinessRegistrationAdapter, cursor: Cursor | None
) -> tuple[list[str], Cursor | None]:
    """Page to the end from ``cursor``: the codes read and the final cursor."""
    codes: list[str] = []
    while True:
        page = await adapter.fetch("enterprises", cursor, 7)
        codes.extend(r.payload["maSoDoanhNghiep"] for r in page.records)
        cursor = page.cursor
        if not page.has_more:
            return codes, cursor


async def test_paging_resumes_and_follows_changes_without_gaps() -> None:
    province = Province(ProvinceConfig(seed=12, citizens=800, change_rate=0.05))
    service = RegistryService(province)
    everything, _ = await read(BusinessRegistrationAdapter(service), None)
    assert sorted(everything) == sorted(
        map(service.enterprises.code, range(service.enterprises.count))
    )
    cursor: Cursor | None = None
    resumed: list[str] = []
    for _ in range(5):  # a restart after each of the first pages
        page = await BusinessRegistrationAdapter(service).fetch("enterprises", cursor, 7)
        resumed.extend(r.payload["maSoDoanhNghiep"] for r in page.records)
        cursor = page.cursor
    rest, cursor = await read(BusinessRegistrationAdapter(service), cursor)
    resumed += rest
    assert resumed == everything
    changes = province.timeline.advance(4)
    changed = {
        service.enterprises.code(n)
        for c in changes
        if c.kind == "death"
        for n in service.enterprises.represented_by(c.index)
    }
    assert changed
    incremental, _ = await read(BusinessRegistrationAdapter(service), cursor)
    assert sorted(incremental) == sorted(changed)


def _mutate(draw: st.DrawFn, target: dict[str, Any]) -> None:
    key = draw(st.sampled_from([*target, "extra"]))
    if draw(st.booleans()):
        target.pop(key, None)
    else:
        target[key] = draw(JSON)


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(RECORDS)))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "office", "member", "representative"]))
        nested = {"office": "diaChiTruSo", "member": "thanhVien", "representative": "nguoiDaiDien"}
        target = record.get(nested.get(where, ""))
        if isinstance(target, list) and target:
            target = target[0]
        _mutate(draw, target if isinstance(target, dict) else record)
    return record


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_any_mutation_encodes_or_is_a_record_error(record: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "enterprises", CODEC, record)
