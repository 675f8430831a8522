"""Tests for canonical addresses and the 2025 conversion."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.errors import NormaliseError
from hub.normalise.address import (
    CanonicalAddress,
    CodeSystem,
    MappingStatus,
    normalise_address,
    same_place,
)

OLD = CodeSystem.OLD_63
NEW = CodeSystem.NEW_34


def old(
    raw: str, ward: str | None, province: str | None = "74", district_code: str | None = None
) -> CanonicalAddress:
    return normalise_address(
        raw,
        code_system=OLD,
        as_of="2024-05-01",
        province_code=province,
        ward_code=ward,
        district_code=district_code,
    )


def new(raw: str, ward: str | None, province: str | None = "79") -> CanonicalAddress:
    return normalise_address(
        raw, code_system=NEW, as_of="2025-09-01", province_code=province, ward_code=ward
    )


def test_old_code_25750_converts_and_keeps_provenance() -> None:
    raw = "  1 Đường Phú Lợi,  P. Phú Hòa, TP Thủ Dầu Một  "
    address = old(raw, "25750")
    assert address.raw == raw
    assert (address.province_code, address.district_code, address.ward_code) == (
        "74",
        "718",
        "25750",
    )
    assert (address.province_code_2025, address.ward_code_2025) == ("79", "25750")
    assert address.ward_name_2025 == "Phường Phú Lợi"
    assert address.mapping is MappingStatus.EXACT
    assert address.candidates_2025 == ("25750",)


def test_new_code_25750_is_native() -> None:
    address = new("Phường Phú Lợi, TP. Hồ Chí Minh", "25750")
    assert address.mapping is MappingStatus.NATIVE
    assert address.ward_name_2025 == "Phường Phú Lợi"
    assert address.district_code is None


def test_same_place_compares_2025_wards_not_bare_codes() -> None:
    # Old 25741 (Hiệp Thành), disambiguated to Phú Lợi, equals new 25750 ...
    hiep_thanh = old("P. Phú Lợi (phường Hiệp Thành cũ)", "25741")
    assert same_place(hiep_thanh, new("Phú Lợi", "25750")) is True
    # ... while new 25747 (Thủ Dầu Một ward) is not old 25750 (Phú Hòa, now Phú Lợi).
    assert same_place(old("Phú Hòa", "25750"), new("Thủ Dầu Một", "25747")) is False
    # A bare-code comparison would get this one wrong: old 25768 Hiệp An ≠ new 25768 Phú An.
    assert old("Hiệp An", "25768").mapping is MappingStatus.AMBIGUOUS


def test_same_place_is_none_for_ambiguous_or_unmapped() -> None:
    ambiguous = old("Phường Hiệp Thành, TP Thủ Dầu Một", "25741")
    assert ambiguous.mapping is MappingStatus.AMBIGUOUS
    assert ambiguous.ward_code_2025 is None
    assert len(ambiguous.candidates_2025) >= 2
    assert same_place(ambiguous, ambiguous) is None
    unknown = new("?", "99999")
    assert same_place(unknown, new("Phú Lợi", "25750")) is None


def test_leading_zeros_are_restored() -> None:
    address = normalise_address(
        "Phúc Xá, Ba Đình",
        code_system=OLD,
        as_of="2020-01-01",
        province_code="1",
        district_code="1",
        ward_code="1",
    )
    assert (address.province_code, address.district_code, address.ward_code) == (
        "01",
        "001",
        "00001",
    )
    assert address.mapping is MappingStatus.EXACT


def test_unknown_new_code_is_unmapped_but_keeps_the_province() -> None:
    address = new("somewhere", "99999")
    assert address.mapping is MappingStatus.UNMAPPED
    assert address.province_code_2025 == "79"
    assert address.candidates_2025 == ()


def test_old_code_given_as_new_is_checked_against_the_new_list() -> None:
    # 25741 existed before the reform (Hiệp Thành) but not in the 2025 list.
    assert new("Hiệp Thành", "25741").mapping is MappingStatus.UNMAPPED
    # New code 25750 under the closed province code 74 is not a 2025 address.
    assert new("Phú Lợi", "25750", province="74").mapping is MappingStatus.UNMAPPED


def test_ward_outside_the_given_province_is_unmapped() -> None:
    address = old("Phúc Xá", "00001", province="74")
    assert address.mapping is MappingStatus.UNMAPPED
    assert address.province_code_2025 is None


def test_province_only_old_address_still_gets_its_2025_province() -> None:
    address = old("Bình Dương", None)
    assert address.mapping is MappingStatus.UNMAPPED
    assert address.province_code_2025 == "79"


def test_island_district_without_wards() -> None:
    address = old("Huyện Côn Đảo", None, province=None, district_code="755")
    assert address.mapping is MappingStatus.EXACT
    assert (address.province_code, address.ward_name_2025) == ("77", "Đặc khu Côn Đảo")


def test_district_code_is_rejected_for_the_2025_list() -> None:
    with pytest.raises(NormaliseError) as info:
        normalise_address(
            "x",
            code_system=NEW,
            as_of="2025-09-01",
            province_code="79",
            ward_code="25750",
            district_code="718",
        )
    assert info.value.field == "district_code"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ward_code": "2575O"}, "ward_code"),
        ({"ward_code": "123456"}, "ward_code"),
        ({"province_code": "7 4"}, "province_code"),
        ({"district_code": "1234"}, "district_code"),
        ({"as_of": "01/07/2025"}, "as_of"),
        ({"as_of": "2025-02-30"}, "as_of"),
        ({"code_system": "OLD"}, "code_system"),
    ],
)
def test_invalid_shapes_raise_normalise_error(kwargs: dict[str, str], field: str) -> None:
    args: dict[str, object] = {
        "code_system": OLD,
        "as_of": "2024-01-01",
        "province_code": "74",
        "ward_code": "25750",
    }
    args.update(kwargs)
    with pytest.raises(NormaliseError) as info:
        normalise_address("x", **args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_to_avro_uses_plain_values() -> None:
    record = old("Hiệp Thành", "25741").to_avro()
    assert record["code_system"] == "OLD_63"
    assert record["mapping"] == "AMBIGUOUS"
    assert record["candidates_2025"] == ["25747", "25750"]
    assert list(record) == list(CanonicalAddress.__dataclass_fields__)


codes = st.one_of(
    st.none(),
    st.text(alphabet="0123456789", max_size=7),
    st.text(max_size=7),
    st.sampled_from(["74", "77", "79", "718", "755", "25750", "25741", "2575", " 1 "]),
)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.text(max_size=80),
    system=st.sampled_from(list(CodeSystem)),
    as_of=st.one_of(st.dates().map(str), st.text(max_size=12)),
    province=codes,
    district=codes,
    ward=codes,
)
def test_normalise_address_returns_or_raises_normalise_error(
    raw: str,
    system: CodeSystem,
    as_of: str,
    province: str | None,
    district: str | None,
    ward: str | None,
) -> None:
    try:
        address = normalise_address(
            raw,
            code_system=system,
            as_of=as_of,
            province_code=province,
            ward_code=ward,
            district_code=district,
        )
    except NormaliseError:
        return
    assert address.raw == raw
    if address.mapping in {MappingStatus.NATIVE, MappingStatus.EXACT}:
        assert address.ward_code_2025 in address.candidates_2025
    else:
        assert address.ward_code_2025 is None
