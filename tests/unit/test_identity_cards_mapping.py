"""Identity cards: the expiry rule, mapping examples, discrepancies, paging and a property."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.identity_cards import CONNECTOR
from connectors.identity_cards.adapter import LISTS, IdentityCardAdapter
from connectors.identity_cards.expiry import card_expiry
from connectors.identity_cards.mapping import IdentityCardMapper
from connectors.identity_cards.mock import NAMESPACE, IdentityCardService
from hub.codec import AvroCodec, SchemaStore
from hub.connect.records import Cursor, NativeRecord
from hub.connect.soap_client import element_record, parse_answer
from hub.errors import RecordError
from hub.normalise.dates import PartialDate
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import DiscrepancyType
from hub.province.soap import response
from tests.unit.mutations import check_maps_or_rejects, mutated_tree

REPO = Path(__file__).resolve().parents[2]
CODEC = AvroCodec(SchemaStore(REPO / "schemas").get("identity_cards", "identity_card"))
MAPPER = IdentityCardMapper()


@functools.cache
def province(malformed: float = 0.0) -> Province:
    return Province(ProvinceConfig(seed=11, citizens=1500, malformed_rate=malformed))


@functools.cache
def cards(malformed: float = 0.0) -> list[tuple[int, dict[str, Any]]]:
    """(person index, native card) for everybody holding a card."""
    service = IdentityCardService(province(malformed))
    return [(p.index, _wire(service.render_card(p, at))) for p, at in service._cards_since(None)]


def _wire(native: dict[str, Any]) -> dict[str, Any]:
    """The record as the adapter hands it over: through XML and back."""
    element = parse_answer(response("X", NAMESPACE, {"R": native}), "X", NAMESPACE)[0]
    return element_record(element, LISTS)


# -- the expiry rule -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("birth", "issued", "expires"),
    [
        (PartialDate(2000, 5, 10), date(2016, 3, 1), date(2025, 5, 10)),  # at 15 → 25
        (PartialDate(2000, 5, 10), date(2023, 6, 1), date(2040, 5, 10)),  # at 23 (grace) → 40
        (PartialDate(2000, 5, 10), date(2023, 5, 9), date(2025, 5, 10)),  # a day before 23
        (PartialDate(1980, 1, 31), date(2021, 4, 1), date(2040, 1, 31)),  # at 41 → 60
        (PartialDate(1965, 8, 2), date(2021, 4, 1), date(2025, 8, 2)),  # at 55 → 60
        (PartialDate(1965, 8, 2), date(2023, 8, 2), None),  # at 58 → never
        (PartialDate(1950, 2, 2), date(2021, 4, 1), None),  # after 60 → never
        (PartialDate(2004, 2, 29), date(2021, 1, 1), date(2029, 2, 28)),  # leap day
        (PartialDate(1980, None, None), date(2016, 1, 1), date(2020, 12, 31)),  # year only
        (PartialDate(1980, 2, None), date(2016, 1, 1), date(2020, 2, 29)),  # month only
    ],
)
def test_card_expiry_rule(birth: PartialDate, issued: date, expires: date | None) -> None:
    assert card_expiry(birth, issued) == expires


# -- mapping examples --------------------------------------------------------------------
def test_every_card_maps_and_encodes() -> None:
    for _, native in cards():
        (record,) = MAPPER.map("cards", NativeRecord(native))
        assert record.key == native["soDinhDanh"]
        CODEC.encode(record.value or {})


def test_example_card() -> None:
    native = {
        "soDinhDanh": "074190001234", "soThe": "074190001234", "loaiThe": "CCCD gắn chip",
        "hoTenIn": "NGUYỄN THỊ HOÀ", "ngaySinh": "07/03/1990", "gioiTinh": "Nữ",
        "ngayCap": "15/04/2021", "noiCap": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "trangThai": "Còn hiệu lực", "phienBan": "1", "ngayCapNhat": "01/01/2024 07:00:05",
        "CMNDCu": {"soCMND": "280123456", "ngayCap": "02/05/2008", "trangThai": "Đã đổi sang CCCD"},
    }  # fmt: skip
    (record,) = MAPPER.map("cards", NativeRecord(native))
    value = record.value or {}
    assert value["full_name"] == "Nguyễn Thị Hoà"
    assert value["full_name_printed"] == "NGUYỄN THỊ HOÀ"
    assert value["expiry_date"] == date(2030, 3, 7)  # derived: issued at 31 → 40
    assert value["legacy_card"]["status"] == "REPLACED"
    assert value["meta"]["updated_at"].isoformat() == "2024-01-01T00:00:05+00:00"
    native["ngayHetHan"] = "Không thời hạn"
    assert (MAPPER.map("cards", NativeRecord(native))[0].value or {})["expiry_date"] is None


def test_names_are_printed_upper_case_and_biometrics_absent() -> None:
    for _, native in cards()[:200]:
        assert native["hoTenIn"] == native["hoTenIn"].upper()
    fields = {f["name"] for f in CODEC.schema.definition["fields"]}
    assert not fields & {"photo", "fingerprint", "iris", "biometrics"}


def test_owned_discrepancies_show() -> None:
    prov, seen = province(), set()
    for index, native in cards():
        kind = prov.discrepancy_of(index)
        person = prov.population.person(index)
        (record,) = MAPPER.map("cards", NativeRecord(native))
        value = record.value or {}
        if kind is DiscrepancyType.NAME_DIACRITICS:
            assert native["hoTenIn"].isascii()
        elif kind is DiscrepancyType.NAME_MISMATCH:
            assert value["full_name"].split()[-1] != person.given_name
        elif kind is DiscrepancyType.DOB_MISMATCH:
            assert value["birth_date"]["iso"][:4] == str(person.birth.year)
            assert value["birth_date"]["iso"] != person.birth.iso
        elif kind is DiscrepancyType.ID_CARD_INVALID:
            expiry = value["expiry_date"]
            assert value["status"] == "REVOKED" or (expiry and expiry < date(2024, 1, 1))
        elif person.status == "ALIVE":
            assert value["status"] == "VALID"
            assert value["expiry_date"] is None or value["expiry_date"] > date(2024, 1, 1)
            assert value["full_name"] == person.full_name
            continue
        else:
            continue
        seen.add(kind)
    assert len(seen) == 4


def test_malformed_cards_are_record_errors() -> None:
    prov, bad = province(0.05), 0
    for index, native in cards(0.05):
        try:
            MAPPER.map("cards", NativeRecord(native))
        except RecordError:
            bad += 1
            assert prov.malformed("identity_cards", index)
    assert bad > 10


# -- paging, cursors and the timeline -----------------------------------------------------
async def _drain(
    adapter: IdentityCardAdapter, cursor: Cursor | None, limit: int
) -> tuple[list[str], Cursor | None]:
    keys: list[str] = []
    while True:
        page = await adapter.fetch("cards", cursor, limit)
        keys += [r.payload["soDinhDanh"] for r in page.records]
        cursor = page.cursor
        if not page.has_more:
            return keys, cursor


async def test_paging_reads_each_card_once_whatever_the_page_size() -> None:
    service = IdentityCardService(province())
    full, _ = await _drain(IdentityCardAdapter(service), None, 500)
    assert len(full) == len(set(full)) == len(cards())
    for size in (7, 50):
        keys, _ = await _drain(IdentityCardAdapter(service, page_size=size), None, size)
        assert keys == full


async def test_resume_from_a_cursor_continues_after_it() -> None:
    adapter = IdentityCardAdapter(IdentityCardService(province()), page_size=30)
    first = await adapter.fetch("cards", None, 30)
    fresh = IdentityCardAdapter(IdentityCardService(province()), page_size=30)
    rest, _ = await _drain(fresh, first.cursor, 30)
    full, _ = await _drain(fresh, None, 500)
    assert [r.payload["soDinhDanh"] for r in first.records] + rest == full


async def test_a_death_revokes_the_card_in_the_next_pull() -> None:
    prov = Province(ProvinceConfig(seed=12, citizens=800, change_rate=0.05))
    adapter = CONNECTOR.make_adapter({"province": prov.config.model_dump()})
    _, cursor = await _drain(adapter, None, 500)  # type: ignore[arg-type]
    changes = [c for c in _shared(prov).timeline.advance() if c.kind == "death"]
    keys, _ = await _drain(adapter, cursor, 500)  # type: ignore[arg-type]
    page = await adapter.fetch("cards", cursor, 500)
    revoked = {r.payload["soDinhDanh"] for r in page.records}
    assert set(keys) == revoked
    for native in (r.payload for r in page.records):
        assert native["trangThai"] == "Đã thu hồi"
        assert native["phienBan"] == "2"
    assert len(revoked) <= len(changes)


def _shared(prov: Province) -> Province:
    from hub.connect.mock_options import shared_province

    return shared_province(prov.config)


# -- property: any mutation maps to encodable records or a RecordError ---------------------
REPLACEMENTS = st.one_of(
    st.none(),
    st.text(max_size=24),
    st.sampled_from(["", "0", "31/02/2020", "99/99/9999", "Không thời hạn", "12/2020", "1850"]),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
    st.lists(st.text(max_size=4), max_size=2),
)


def _samples() -> list[dict[str, Any]]:
    return [n for _, n in cards()[:40] if n.get("CMNDCu")] + [n for _, n in cards()[:5]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tree(_samples, REPLACEMENTS))
def test_any_mutation_maps_or_raises_a_record_error(row: dict[str, Any]) -> None:
    check_maps_or_rejects(MAPPER, "cards", CODEC, row)
