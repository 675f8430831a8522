"""Vietnamese administrative units before and after the 2025 reform, and the old→new map.

The data is vendored in ``data/admin_units_v1.json.gz`` (derived from the MIT-licensed
``vietnamadminunits`` package by ``tools/build_admin_units.py``); nothing here touches
the network. Two code systems exist side by side:

* the pre-2025 list (63 provinces, 2-digit; districts, 3-digit; wards, 5-digit), and
* the 2025 list (34 provinces, 2-digit; 3,321 communes, 5-digit; no district level).

Most 2025 communes kept the code of one predecessor, so a bare 5-digit code means
different places in the two systems: always convert with :meth:`AdminUnits.to_2025`
before comparing. An old ward split among several new wards maps to
:attr:`MappingStatus.AMBIGUOUS` unless the address text names exactly one candidate.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

from hub.errors import ConfigurationError, NormaliseError

DATA_FILE = "admin_units_v1.json.gz"
DATA_VERSION = "1"

_WIDTHS = {"province_code": 2, "district_code": 3, "ward_code": 5}
_TYPE_PREFIXES = ("Thị trấn ", "Phường ", "Xã ", "Đặc khu ")
# Words that introduce a commune-level name in free text, after accent folding.
_UNIT_WORD = r"(?:phuong|p\.|xa|x\.|thi tran|tt\.|dac khu)"


class MappingStatus(StrEnum):
    """How an address's ward was placed in the 2025 list."""

    NATIVE = "NATIVE"
    """The source already used 2025 codes, and the ward exists."""
    EXACT = "EXACT"
    """An old ward converted to exactly one 2025 ward."""
    AMBIGUOUS = "AMBIGUOUS"
    """An old ward split among several 2025 wards and nothing disambiguates: REVIEW."""
    UNMAPPED = "UNMAPPED"
    """The code is unknown, missing or inconsistent with the rest of the address."""


@dataclass(frozen=True, slots=True)
class OldWard:
    """A commune-level unit of the pre-2025 list (phường, xã or thị trấn)."""

    code: str
    name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class NewWard:
    """A commune-level unit of the 2025 list (phường, xã or đặc khu)."""

    code: str
    name: str
    province_code: str
    province_name: str


@dataclass(frozen=True, slots=True)
class WardMapping:
    """The 2025 placement of one old ward.

    Attributes:
        status: EXACT, AMBIGUOUS or UNMAPPED (NATIVE only for 2025 input).
        province_code: the 2025 province, when known.
        ward_code: the 2025 ward; None unless the status is NATIVE or EXACT.
        ward_name: the 2025 ward's official name, alongside ``ward_code``.
        candidates: every 2025 ward the old ward maps onto, sorted (empty if unmapped).
    """

    status: MappingStatus
    province_code: str | None
    ward_code: str | None
    ward_name: str | None
    candidates: tuple[str, ...]


def pad_code(value: object, field: str) -> str:
    """Return a code at its official width, restoring dropped leading zeros.

    Args:
        value: the code as received, e.g. ``"74"``, ``" 2575 "`` or ``"074"``.
        field: ``province_code``, ``district_code`` or ``ward_code``; sets the width.

    Raises:
        NormaliseError: the value is not a string of ASCII digits that fits the width.
    """
    width = _WIDTHS[field]
    if not isinstance(value, str):
        raise NormaliseError(f"expected a string, got {type(value).__name__}", field=field)
    code = value.strip()
    if not (code.isascii() and code.isdigit()) or len(code.lstrip("0")) > width:
        raise NormaliseError(f"not a {width}-digit code: {value!r}", field=field)
    return code[-width:].zfill(width)


def fold(text: str) -> str:
    """Fold text for loose name matching: no diacritics, Đ→D, case-folded, single spaces."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def short_name(name: str) -> str:
    """Strip the unit-type word from an official name (``Phường Phú Lợi`` → ``Phú Lợi``)."""
    for prefix in _TYPE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _unit_pattern(names: list[str]) -> re.Pattern[str]:
    """Match ``<unit word> <name>`` in folded text; longest names first win."""
    folded = sorted({fold(short_name(n)) for n in names}, key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in folded)
    return re.compile(rf"(?<!\w){_UNIT_WORD}\s*({alternatives})(?!\w)")


def _lenient(value: str, field: str) -> str | None:
    try:
        return pad_code(value, field)
    except NormaliseError:
        return None


class AdminUnits:
    """Lookups over both lists and the old→new mapping. Build with :meth:`load`."""

    def __init__(self, table: dict[str, Any]) -> None:
        """Index a decoded data table (the layout is described in its header)."""
        self.version: str = table["version"]
        self.derived_from: str = table["derived_from"]
        old_prov: dict[str, str] = table["old_provinces"]
        old_dist: dict[str, list[str]] = table["old_districts"]
        self._old_provinces = old_prov
        self._old_districts = old_dist
        self._new_provinces: dict[str, str] = table["new_provinces"]
        self._province_map: dict[str, str] = table["province_map"]
        self._wardless: dict[str, tuple[str, ...]] = {
            k: tuple(v) for k, v in table["wardless_districts"].items()
        }
        self._old: dict[str, OldWard] = {}
        self._targets: dict[str, tuple[str, ...]] = {}
        for code, (dcode, name, targets) in table["old_wards"].items():
            pcode, dname = old_dist[dcode]
            self._old[code] = OldWard(code, name, dcode, dname, pcode, old_prov[pcode])
            self._targets[code] = tuple(targets)
        self._new: dict[str, NewWard] = {
            code: NewWard(code, name, pcode, self._new_provinces[pcode])
            for code, (pcode, name) in table["new_wards"].items()
        }
        self._old_by_prov: dict[str, list[OldWard]] = {}
        for ward in self._old.values():
            self._old_by_prov.setdefault(ward.province_code, []).append(ward)
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._new_by_prov: dict[str, list[NewWard]] = {}
        for new in self._new.values():
            self._new_by_prov.setdefault(new.province_code, []).append(new)

    @classmethod
    def load(cls) -> AdminUnits:
        """Return the vendored tables, read from the package data once per process.

        Raises:
            ConfigurationError: the data file is missing or has an unsupported version.
        """
        return _load_vendored()

    def old_ward(self, code: str) -> OldWard | None:
        """Return the pre-2025 ward with this code, or None (also for malformed codes)."""
        key = _lenient(code, "ward_code")
        return self._old.get(key) if key else None

    def new_ward(self, code: str) -> NewWard | None:
        """Return the 2025 ward with this code, or None (also for malformed codes)."""
        key = _lenient(code, "ward_code")
        return self._new.get(key) if key else None

    def old_wards_in_province(self, province_code: str) -> tuple[OldWard, ...]:
        """Return the wards of a pre-2025 province, by code; empty if unknown."""
        key = _lenient(province_code, "province_code")
        return tuple(self._old_by_prov.get(key, ())) if key else ()

    def new_wards_in_province(self, province_code: str) -> tuple[NewWard, ...]:
        """Return the communes of a 2025 province, by code; empty if unknown."""
        key = _lenient(province_code, "province_code")
        return tuple(self._new_by_prov.get(key, ())) if key else ()

    def old_district_province(self, district_code: str) -> str | None:
        """Return the pre-2025 province code of a pre-2025 district, or None."""
        key = _lenient(district_code, "district_code")
        entry = self._old_districts.get(key) if key else None
        return entry[0] if entry else None

    def old_province_name(self, code: str) -> str | None:
        """Return the official name of a pre-2025 province, or None."""
        key = _lenient(code, "province_code")
        return self._old_provinces.get(key) if key else None

    def new_province_name(self, code: str) -> str | None:
        """Return the official name of a 2025 province, or None (e.g. for closed 74, 77)."""
        key = _lenient(code, "province_code")
        return self._new_provinces.get(key) if key else None

    def new_province_of_old(self, old_province_code: str) -> str:
        """Return the 2025 province a pre-2025 province became part of (74 → 79).

        Raises:
            NormaliseError: the code is malformed or not in the pre-2025 list.
        """
        key = pad_code(old_province_code, "province_code")
        if key not in self._province_map:
            raise NormaliseError(f"unknown pre-2025 province {key}", field="province_code")
        return self._province_map[key]

    def wardless_district_to_2025(self, district_code: str) -> WardMapping | None:
        """Map a pre-2025 island district that had no wards (e.g. Côn Đảo) to its 2025 unit."""
        key = _lenient(district_code, "district_code")
        targets = self._wardless.get(key) if key else None
        if not targets:
            return None
        return self._resolved(targets[0], targets)

    def is_split(self, old_ward_code: str) -> bool:
        """True when a pre-2025 ward was split among several 2025 wards."""
        ward = self.old_ward(old_ward_code)
        return ward is not None and len(self._targets[ward.code]) > 1

    def to_2025(self, old_ward_code: str, *, hint: str | None = None) -> WardMapping:
        """Convert a pre-2025 ward code to the 2025 list.

        Args:
            old_ward_code: a 5-digit pre-2025 ward code (leading zeros may be missing).
            hint: free address text (street, raw address). For a split ward it picks a
                candidate only if the text names exactly one candidate with its unit
                word (``phường X``, ``xã X``, ``P. X``), ignoring the old ward's own name.

        Returns:
            EXACT with one ward, AMBIGUOUS with every candidate and no ward, or UNMAPPED
            for an unknown or malformed code. Never a silent pick among candidates.
        """
        ward = self.old_ward(old_ward_code)
        if ward is None:
            return WardMapping(MappingStatus.UNMAPPED, None, None, None, ())
        targets = self._targets[ward.code]
        if len(targets) == 1:
            return self._resolved(targets[0], targets)
        if hint:
            text = _unit_pattern([ward.name]).sub(" ", fold(hint))
            said = {m.group(1) for m in self._names_in(targets[0]).finditer(text)}
            named = [c for c in targets if fold(short_name(self._new[c].name)) in said]
            if len(named) == 1:
                return self._resolved(named[0], targets)
        province = self._new[targets[0]].province_code
        return WardMapping(MappingStatus.AMBIGUOUS, province, None, None, targets)

    def split_old_wards(self, province_code: str) -> tuple[str, ...]:
        """Return the codes of a pre-2025 province's wards that map to several 2025 wards."""
        return tuple(
            w.code
            for w in self.old_wards_in_province(province_code)
            if len(self._targets[w.code]) > 1
        )

    def reused_codes(self, province_code: str) -> tuple[str, ...]:
        """Return a pre-2025 province's ward codes that name a different 2025 ward.

        A code counts as reused when it is in both lists and either the names differ
        (25750: Phú Hòa before, Phú Lợi after) or the old ward was split, so the new
        ward of that code covers only part of it. The unit-type word is ignored.
        """
        reused: list[str] = []
        for ward in self.old_wards_in_province(province_code):
            new = self._new.get(ward.code)
            if new is None:
                continue
            renamed = short_name(new.name).casefold() != short_name(ward.name).casefold()
            if renamed or self._targets[ward.code] != (ward.code,):
                reused.append(ward.code)
        return tuple(reused)

    def _names_in(self, new_ward_code: str) -> re.Pattern[str]:
        """Return the name pattern of all communes in the 2025 province of a ward."""
        province = self._new[new_ward_code].province_code
        if province not in self._patterns:
            names = [w.name for w in self._new_by_prov[province]]
            self._patterns[province] = _unit_pattern(names)
        return self._patterns[province]

    def _resolved(self, code: str, candidates: tuple[str, ...]) -> WardMapping:
        new = self._new[code]
        return WardMapping(MappingStatus.EXACT, new.province_code, code, new.name, candidates)


@functools.cache
def _load_vendored() -> AdminUnits:
    source = resources.files("hub.normalise") / "data" / DATA_FILE
    try:
        table = json.loads(gzip.decompress(source.read_bytes()))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {DATA_FILE}: {exc}", field="admin_units") from exc
    if table.get("version") != DATA_VERSION:
        raise ConfigurationError(
            f"{DATA_FILE} has version {table.get('version')!r}, expected {DATA_VERSION}",
            field="admin_units",
        )
    return AdminUnits(table)
