"""Unit and property tests for hub.normalise.names (synthetic names only)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import NormaliseError
from hub.normalise.names import (
    NameComparison,
    canonical_name,
    compare_names,
    name_match_key,
    strip_diacritics,
)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Võ", "Vũ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Quốc", "Thanh", "Xuân"]
# Given names in new-style tone placement, paired with their old-style spelling.
GIVEN_STYLES = {
    "Hoà": "Hòa",
    "Thuỷ": "Thủy",
    "Khoẻ": "Khỏe",
    "Thuý": "Thúy",
    "Hoá": "Hóa",
    "Loan": "Loan",
    "Hoàn": "Hoàn",
    "Huỳnh": "Huỳnh",
    "Quý": "Quý",
    "Toàn": "Toàn",
    "An": "An",
    "Tuấn": "Tuấn",
    "Giàu": "Giàu",
    "Hoài": "Hoài",
    "Xoè": "Xòe",
    "Thuỵ": "Thụy",
}

names = st.tuples(
    st.sampled_from(FAMILY),
    st.lists(st.sampled_from(MIDDLE), max_size=2),
    st.sampled_from(sorted(GIVEN_STYLES)),
)


def _join(family: str, middle: list[str], given: str) -> str:
    return " ".join([family, *middle, given])


def test_canonical_name_examples() -> None:
    expected = "Nguyễn Văn An"
    assert canonical_name("NGUYỄN VĂN AN") == expected
    assert canonical_name(unicodedata.normalize("NFD", expected)) == expected
    assert canonical_name("  nguyễn  \t văn an ") == expected
    assert canonical_name("h'hen niê") == "H'Hen Niê"
    assert canonical_name("ĐẶNG THỊ THUỶ") == "Đặng Thị Thuỷ"


def test_canonical_name_is_nfc() -> None:
    result = canonical_name(unicodedata.normalize("NFD", "trần thị hoà"))
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize("raw", ["", "   ", "Nguyễn Văn 2", "Lê\x00Văn", "Lê\x1fVăn", "Lê\u200bAn"])
def test_canonical_name_rejects(raw: str) -> None:
    with pytest.raises(NormaliseError) as info:
        canonical_name(raw, field="full_name")
    assert info.value.field == "full_name"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa", "hoà"),
        ("thủy", "thuỷ"),
        ("khỏe", "khoẻ"),
        ("Hòan", "Hoàn"),
        ("qúy", "quý"),
        ("gìa", "già"),
        ("Hùynh", "Huỳnh"),
        ("Hòai", "Hoài"),
        ("rựơu", "rượu"),
    ],
)
def test_tone_placement_variants_share_a_key(old: str, new: str) -> None:
    assert name_match_key(old) == name_match_key(new)


def test_tone_placement_keeps_what_differs() -> None:
    assert name_match_key("gìn") != name_match_key("gin")
    assert name_match_key("của") == "của"
    assert name_match_key("Hoàn") == "hoàn"


def test_match_key_normalises_case_space_and_apostrophes() -> None:
    assert name_match_key("  NGUYỄN   Văn  HÒA ") == "nguyễn văn hoà"
    assert name_match_key("H’Hen") == name_match_key("H'Hen")
    assert name_match_key("") == ""


def test_strip_diacritics_maps_d_with_stroke() -> None:
    assert strip_diacritics("Đặng Thị Thuỷ") == "Dang Thi Thuy"
    assert strip_diacritics("đường") == "duong"
    assert strip_diacritics(unicodedata.normalize("NFD", "Đỗ Hữu Ưng")) == "Do Huu Ung"


@pytest.mark.parametrize(
    ("declared", "registered", "expected"),
    [
        ("hòa", "hoà", NameComparison.MATCH),
        ("TRẦN THỊ THỦY", "Trần Thị Thuỷ", NameComparison.MATCH),
        ("Nguyễn Văn An", "Nguyễn Văn Anh", NameComparison.MISMATCH),
        ("Đặng", "Dang", NameComparison.DIACRITICS_ONLY),
        ("Đặng", "Đang", NameComparison.DIACRITICS_ONLY),
        ("Đặng", "Dặng", NameComparison.DIACRITICS_ONLY),
        ("Đặng", "Đặng", NameComparison.MATCH),
        ("Vũ Văn An", "Võ Văn An", NameComparison.MISMATCH),
        ("Hoàng Văn An", "Huỳnh Văn An", NameComparison.MISMATCH),
        ("NGUYEN VAN AN", "Nguyễn Văn Ân", NameComparison.DIACRITICS_ONLY),
    ],
)
def test_compare_names(declared: str, registered: str, expected: NameComparison) -> None:
    assert compare_names(declared, registered) is expected


def test_d_with_stroke_never_matches_d() -> None:
    assert compare_names("Đặng Văn An", "Dặng Văn An") is not NameComparison.MATCH


def test_compare_names_rejects_empty() -> None:
    with pytest.raises(NormaliseError):
        compare_names(" ", "Lê Văn An")


@given(names)
def test_canonical_name_is_idempotent(parts: tuple[str, list[str], str]) -> None:
    once = canonical_name(_join(*parts).upper())
    assert canonical_name(once) == once


@given(st.text(max_size=30))
def test_canonical_name_total_and_idempotent(raw: str) -> None:
    try:
        once = canonical_name(raw)
    except NormaliseError:
        return
    assert canonical_name(once) == once


@given(names, st.booleans(), st.booleans())
def test_unicode_forms_and_case_match(
    parts: tuple[str, list[str], str], nfd: bool, upper: bool
) -> None:
    name = _join(*parts)
    variant = name.upper() if upper else name
    if nfd:
        variant = unicodedata.normalize("NFD", variant)
    assert compare_names(variant, name) is NameComparison.MATCH


@given(names)
def test_old_and_new_tone_styles_match(parts: tuple[str, list[str], str]) -> None:
    family, middle, given_name = parts
    old = _join(family, middle, GIVEN_STYLES[given_name])
    assert compare_names(old, _join(*parts)) is NameComparison.MATCH


@given(names)
def test_stripped_name_is_diacritics_only(parts: tuple[str, list[str], str]) -> None:
    name = _join(*parts)
    stripped = strip_diacritics(name)
    expected = NameComparison.MATCH if stripped == name else NameComparison.DIACRITICS_ONLY
    assert compare_names(stripped.upper(), name) is expected


@given(st.text(max_size=30), st.text(max_size=30))
def test_compare_names_only_raises_normalise_error(left: str, right: str) -> None:
    try:
        result = compare_names(left, right)
    except NormaliseError:
        return
    assert isinstance(result, NameComparison)


@given(st.text(max_size=30))
def test_match_key_is_idempotent(raw: str) -> None:
    key = name_match_key(raw)
    assert name_match_key(key) == key
