"""Tests for the vendored administrative-unit tables and the old→new mapping."""

from __future__ import annotations

import time

import pytest

from hub.errors import NormaliseError
from hub.normalise.admin_units import (
    AdminUnits,
    MappingStatus,
    NewWard,
    OldWard,
    fold,
    pad_code,
)


@pytest.fixture(scope="module")
def units() -> AdminUnits:
    return AdminUnits.load()


def test_load_is_cached_and_quick() -> None:
    start = time.perf_counter()
    first = AdminUnits.load()
    assert time.perf_counter() - start < 0.3
    assert AdminUnits.load() is first


def test_header_names_the_source(units: AdminUnits) -> None:
    assert units.version == "1"
    assert units.derived_from == "vietnamadminunits 1.0.4 (MIT, © its authors)"


def test_2025_list_has_34_provinces_and_3321_communes(units: AdminUnits) -> None:
    provinces = {f"{n:02d}" for n in range(100) if units.new_province_name(f"{n:02d}")}
    assert len(provinces) == 34
    assert sum(len(units.new_wards_in_province(p)) for p in provinces) == 3321


def test_old_list_has_63_provinces(units: AdminUnits) -> None:
    assert sum(1 for n in range(100) if units.old_province_name(f"{n:02d}")) == 63
    assert units.old_province_name("74") == "Tỉnh Bình Dương"


def test_hcmc_has_168_communes_after_the_reform(units: AdminUnits) -> None:
    assert len(units.new_wards_in_province("79")) == 168


def test_codes_74_and_77_are_closed_and_merged_into_79(units: AdminUnits) -> None:
    for closed in ("74", "77"):
        assert units.new_province_name(closed) is None
        assert units.new_wards_in_province(closed) == ()
        assert units.new_province_of_old(closed) == "79"
    assert units.new_province_of_old("79") == "79"


def test_new_province_of_old_rejects_unknown_codes(units: AdminUnits) -> None:
    with pytest.raises(NormaliseError) as info:
        units.new_province_of_old("03")
    assert info.value.field == "province_code"


def test_code_25750_before_and_after_the_reform(units: AdminUnits) -> None:
    assert units.old_ward("25750") == OldWard(
        "25750", "Phường Phú Hòa", "718", "Thành phố Thủ Dầu Một", "74", "Tỉnh Bình Dương"
    )
    assert units.new_ward("25750") == NewWard(
        "25750", "Phường Phú Lợi", "79", "Thành phố Hồ Chí Minh"
    )
    assert "25750" in units.reused_codes("74")
    mapping = units.to_2025("25750")
    assert mapping.status is MappingStatus.EXACT
    assert (mapping.ward_code, mapping.province_code) == ("25750", "79")


@pytest.mark.parametrize("name", ["Bình Dương", "Thủ Dầu Một", "Dĩ An", "Bến Cát"])
def test_former_province_and_city_names_are_now_wards_of_hcmc(units: AdminUnits, name: str) -> None:
    assert f"Phường {name}" in {w.name for w in units.new_wards_in_province("79")}


def test_binh_duong_counts(units: AdminUnits) -> None:
    wards = units.old_wards_in_province("74")
    assert len(wards) == 91
    assert {w.province_name for w in wards} == {"Tỉnh Bình Dương"}
    assert len(units.split_old_wards("74")) == 16
    assert len(units.reused_codes("74")) == 23


def test_every_old_ward_maps_into_its_new_province(units: AdminUnits) -> None:
    for number in range(100):
        province = f"{number:02d}"
        if units.old_province_name(province) is None:
            continue
        target = units.new_province_of_old(province)
        for ward in units.old_wards_in_province(province):
            mapping = units.to_2025(ward.code)
            assert mapping.status in {MappingStatus.EXACT, MappingStatus.AMBIGUOUS}
            assert mapping.province_code == target
            assert all(units.new_ward(c) is not None for c in mapping.candidates)


def test_split_ward_is_ambiguous_without_a_hint(units: AdminUnits) -> None:
    # Phường Hiệp Thành (Thủ Dầu Một) was split between Thủ Dầu Một and Phú Lợi.
    assert "25741" in units.split_old_wards("74")
    mapping = units.to_2025("25741")
    assert mapping.status is MappingStatus.AMBIGUOUS
    assert mapping.candidates == ("25747", "25750")
    assert mapping.ward_code is None
    assert mapping.province_code == "79"


def test_split_ward_is_settled_by_a_hint_naming_one_candidate(units: AdminUnits) -> None:
    mapping = units.to_2025("25741", hint="12 Lê Lợi, P. Phú Lợi (phường Hiệp Thành cũ)")
    assert mapping.status is MappingStatus.EXACT
    assert (mapping.ward_code, mapping.ward_name) == ("25750", "Phường Phú Lợi")
    assert mapping.candidates == ("25747", "25750")


@pytest.mark.parametrize(
    "hint",
    [
        # The old city Thủ Dầu Một is not the new ward Thủ Dầu Một.
        "12 Lê Lợi, Phường Hiệp Thành, TP. Thủ Dầu Một, Bình Dương",
        "Phuong Thu Dau Mot hoac phuong Phu Loi",
        "",
    ],
)
def test_hints_that_do_not_name_exactly_one_candidate_stay_ambiguous(
    units: AdminUnits, hint: str
) -> None:
    assert units.to_2025("25741", hint=hint).status is MappingStatus.AMBIGUOUS


def test_hint_repeating_the_old_name_does_not_pick_a_same_named_candidate(
    units: AdminUnits,
) -> None:
    # Old Phường Tân Đông Hiệp was split between new Dĩ An and new Tân Đông Hiệp.
    mapping = units.to_2025("25948", hint="5 Đường số 1, Phường Tân Đông Hiệp, TP Dĩ An")
    assert mapping.status is MappingStatus.AMBIGUOUS
    assert mapping.candidates == ("25942", "25945")


def test_unaccented_hint_matches(units: AdminUnits) -> None:
    mapping = units.to_2025("25948", hint="KP Dong A, phuong Di An")
    assert (mapping.status, mapping.ward_code) == (MappingStatus.EXACT, "25942")


def test_unknown_or_malformed_codes_are_unmapped(units: AdminUnits) -> None:
    for code in ("99999", "abc", ""):
        mapping = units.to_2025(code)
        assert mapping.status is MappingStatus.UNMAPPED
        assert mapping.candidates == ()
    assert units.old_ward("x") is None
    assert units.new_ward("123456") is None


def test_lookups_restore_leading_zeros(units: AdminUnits) -> None:
    assert units.old_ward("1") == units.old_ward("00001")
    assert units.old_province_name("1") == "Thành phố Hà Nội"


def test_island_district_without_wards_maps_to_its_special_zone(units: AdminUnits) -> None:
    mapping = units.wardless_district_to_2025("755")
    assert mapping is not None
    assert (mapping.ward_name, mapping.province_code) == ("Đặc khu Côn Đảo", "79")
    assert units.wardless_district_to_2025("718") is None


@pytest.mark.parametrize(
    ("value", "field", "expected"),
    [
        ("74", "province_code", "74"),
        ("7", "province_code", "07"),
        ("074", "province_code", "74"),
        (" 2575 ", "ward_code", "02575"),
        ("1", "district_code", "001"),
    ],
)
def test_pad_code(value: str, field: str, expected: str) -> None:
    assert pad_code(value, field) == expected


@pytest.mark.parametrize("value", ["", "7a", "123", "٧٤", "-1", "1.0"])
def test_pad_code_rejects_bad_shapes(value: str) -> None:
    with pytest.raises(NormaliseError) as info:
        pad_code(value, "province_code")
    assert info.value.field == "province_code"


def test_fold_handles_d_bar_and_tone_placement() -> None:
    assert fold("Đồng  HOÀ") == fold("dong hoà") == "dong hoa"
    assert fold("thuỷ") == fold("thủy")
