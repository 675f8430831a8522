"""Canonical addresses: raw text, code system, as-of date, and the 2025 placement.

Every address keeps what the source said (raw text verbatim, its codes in its own code
system, the record's as-of date) and adds the 2025 ward it lies in. Old codes are
converted with :meth:`AdminUnits.to_2025` and kept as provenance; 2025 codes are checked
against the 2025 list. Two addresses are compared only on their 2025 ward
(:func:`same_place`), never on bare codes from different systems.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from hub.errors import NormaliseError
from hub.normalise.admin_units import AdminUnits, MappingStatus, WardMapping, pad_code

__all__ = ["CanonicalAddress", "CodeSystem", "MappingStatus", "normalise_address", "same_place"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNMAPPED = WardMapping(MappingStatus.UNMAPPED, None, None, None, ())


class CodeSystem(StrEnum):
    """Which administrative-unit list an address's codes belong to."""

    OLD_63 = "OLD_63"
    """The pre-2025 list: 63 provinces, districts, wards."""
    NEW_34 = "NEW_34"
    """The list in force from 2025-07-01: 34 provinces, communes, no districts."""


@dataclass(frozen=True, slots=True)
class CanonicalAddress:
    """An address in canonical form (one Avro record elsewhere; keep fields in step).

    Attributes:
        raw: the address text exactly as the source sent it.
        code_system: the list ``province_code``/``district_code``/``ward_code`` belong to.
        as_of: ISO date of the source record.
        province_code: source province code, zero-padded (derived from the ward if absent).
        district_code: source district code (OLD_63 only), zero-padded.
        ward_code: source ward code, zero-padded.
        province_code_2025: the 2025 province, when known.
        ward_code_2025: the 2025 ward, for NATIVE and EXACT only.
        ward_name_2025: the official name of ``ward_code_2025``.
        mapping: how the 2025 ward was found.
        candidates_2025: every 2025 ward the source ward maps onto (all of them when
            AMBIGUOUS; empty when UNMAPPED).
    """

    raw: str
    code_system: CodeSystem
    as_of: str
    province_code: str | None
    district_code: str | None
    ward_code: str | None
    province_code_2025: str | None
    ward_code_2025: str | None
    ward_name_2025: str | None
    mapping: MappingStatus
    candidates_2025: tuple[str, ...]

    def to_avro(self) -> dict[str, object]:
        """Return the record as an Avro-ready dict: enums as strings, candidates as a list."""
        return {
            "raw": self.raw,
            "code_system": self.code_system.value,
            "as_of": self.as_of,
            "province_code": self.province_code,
            "district_code": self.district_code,
            "ward_code": self.ward_code,
            "province_code_2025": self.province_code_2025,
            "ward_code_2025": self.ward_code_2025,
            "ward_name_2025": self.ward_name_2025,
            "mapping": self.mapping.value,
            "candidates_2025": list(self.candidates_2025),
        }


def _optional_code(value: object, field: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return pad_code(value, field)


@functools.lru_cache(maxsize=4096)
def _check_as_of(as_of: object) -> str:
    if not isinstance(as_of, str) or not _ISO_DATE.fullmatch(as_of):
        raise NormaliseError(f"not an ISO date (yyyy-mm-dd): {as_of!r}", field="as_of")
    try:
        date.fromisoformat(as_of)
    except ValueError as exc:
        raise NormaliseError(f"impossible date: {as_of}", field="as_of") from exc
    return as_of


def normalise_address(
    raw: str,
    *,
    code_system: CodeSystem,
    as_of: str,
    province_code: str | None,
    ward_code: str | None,
    district_code: str | None = None,
    units: AdminUnits | None = None,
) -> CanonicalAddress:
    """Build the canonical form of one address.

    Codes are zero-padded to their width (province 2, district 3, ward 5); blank codes
    count as missing. For OLD_63 the ward is converted to 2025 (the raw text is the hint
    that may settle a split ward); a missing ward still yields the 2025 province. For
    NEW_34 the ward must exist in the 2025 list (NATIVE), otherwise UNMAPPED. Codes that
    contradict each other (a ward outside the given province or district) are UNMAPPED.

    Args:
        raw: the address text; kept verbatim.
        code_system: the list the codes belong to.
        as_of: ISO date (yyyy-mm-dd) of the source record.
        province_code: province code in ``code_system``.
        ward_code: ward (commune) code in ``code_system``.
        district_code: district code; OLD_63 only.
        units: the tables to use; the vendored ones by default.

    Raises:
        NormaliseError: a malformed code, date or raw value, or a district with NEW_34.
    """
    if not isinstance(raw, str):
        raise NormaliseError(f"expected text, got {type(raw).__name__}", field="raw")
    as_of = _check_as_of(as_of)
    if units is None:
        units = AdminUnits.load()
        hint = raw if isinstance(ward_code, str) and units.is_split(ward_code) else None
        codes = _mapped_default(code_system, province_code, district_code, ward_code, hint)
    else:
        codes = _mapped(units, code_system, province_code, district_code, ward_code, raw)
    system, province, district, ward, mapping = codes
    return CanonicalAddress(
        raw=raw,
        code_system=system,
        as_of=as_of,
        province_code=province,
        district_code=district,
        ward_code=ward,
        province_code_2025=mapping.province_code,
        ward_code_2025=mapping.ward_code,
        ward_name_2025=mapping.ward_name,
        mapping=mapping.status,
        candidates_2025=mapping.candidates,
    )


def normalise_address_avro(
    raw: str,
    *,
    code_system: CodeSystem,
    as_of: str,
    province_code: str | None,
    ward_code: str | None,
    district_code: str | None = None,
) -> dict[str, object]:
    """:func:`normalise_address` with the vendored tables, straight to the Avro-ready dict.

    The hot path of the mappers: the code-dependent part of the dict is memoised, so only
    ``raw`` and ``as_of`` are filled in per call.

    Raises:
        NormaliseError: as :func:`normalise_address`.
    """
    if not isinstance(raw, str):
        raise NormaliseError(f"expected text, got {type(raw).__name__}", field="raw")
    hint = raw if isinstance(ward_code, str) and _is_split(ward_code) else None
    template, candidates = _avro_template(
        code_system, province_code, district_code, ward_code, hint
    )
    address = template.copy()  # the keys in Avro order; fill in the per-call values
    address["raw"] = raw
    address["as_of"] = _check_as_of(as_of)
    address["candidates_2025"] = [*candidates]
    return address


@functools.lru_cache(maxsize=16_384)
def _is_split(ward_code: str) -> bool:
    """:meth:`AdminUnits.is_split` over the vendored tables, memoised per ward code."""
    return AdminUnits.load().is_split(ward_code)


@functools.lru_cache(maxsize=65_536)
def _avro_template(
    code_system: object, province_code: object, district_code: object, ward_code: object,
    hint: str | None,
) -> tuple[dict[str, object], tuple[str, ...]]:  # fmt: skip
    system, province, district, ward, mapping = _mapped_default(
        code_system, province_code, district_code, ward_code, hint
    )
    return {
        "raw": "",
        "code_system": system.value,
        "as_of": "",
        "province_code": province,
        "district_code": district,
        "ward_code": ward,
        "province_code_2025": mapping.province_code,
        "ward_code_2025": mapping.ward_code,
        "ward_name_2025": mapping.ward_name,
        "mapping": mapping.status.value,
    }, mapping.candidates


_Mapped = tuple[CodeSystem, str | None, str | None, str | None, WardMapping]


@functools.lru_cache(maxsize=65_536)
def _mapped_default(
    code_system: object, province_code: object, district_code: object, ward_code: object,
    hint: str | None,
) -> _Mapped:  # fmt: skip
    """:func:`_mapped` with the vendored tables, memoised: sources repeat the same codes.

    The raw text only matters for a split ward (as the hint), so it is part of the key
    only then, which keeps the cache small and its hit rate high.
    """
    return _mapped(AdminUnits.load(), code_system, province_code, district_code, ward_code, hint)


def _mapped(
    units: AdminUnits, code_system: object, province_code: object, district_code: object,
    ward_code: object, hint: str | None,
) -> _Mapped:  # fmt: skip
    try:
        system = CodeSystem(code_system)  # type: ignore[arg-type]
    except ValueError as exc:
        raise NormaliseError(f"unknown code system {code_system!r}", field="code_system") from exc
    province = _optional_code(province_code, "province_code")
    district = _optional_code(district_code, "district_code")
    ward = _optional_code(ward_code, "ward_code")
    if system is CodeSystem.NEW_34:
        if district is not None:
            raise NormaliseError("the 2025 list has no district level", field="district_code")
        return system, province, district, ward, _native(units, province, ward)
    province, district, mapping = _convert_old(units, province, district, ward, hint or "")
    return system, province, district, ward, mapping


def _native(units: AdminUnits, province: str | None, ward: str | None) -> WardMapping:
    known_province = province if province and units.new_province_name(province) else None
    found = units.new_ward(ward) if ward else None
    if found is None or (province is not None and found.province_code != province):
        return WardMapping(MappingStatus.UNMAPPED, known_province, None, None, ())
    return WardMapping(
        MappingStatus.NATIVE, found.province_code, found.code, found.name, (found.code,)
    )


def _convert_old(
    units: AdminUnits, province: str | None, district: str | None, ward: str | None, raw: str
) -> tuple[str | None, str | None, WardMapping]:
    """Return the old province and district (completed from the ward) and the 2025 mapping."""
    owner = units.old_district_province(district) if district else None
    if province is None:
        province = owner
    known = province is not None and units.old_province_name(province) is not None
    unmapped = WardMapping(
        MappingStatus.UNMAPPED,
        units.new_province_of_old(province) if province and known else None,
        None,
        None,
        (),
    )
    if ward is None:
        island = units.wardless_district_to_2025(district) if district else None
        if island is not None and owner == province:
            return province, district, island
        return province, district, unmapped
    found = units.old_ward(ward)
    if found is None:
        return province, district, unmapped
    if province not in (None, found.province_code) or district not in (None, found.district_code):
        return province, district, _UNMAPPED
    return found.province_code, found.district_code, units.to_2025(found.code, hint=raw)


def same_place(a: CanonicalAddress, b: CanonicalAddress) -> bool | None:
    """Say whether two addresses lie in the same 2025 ward.

    Returns:
        True or False when both sides have a 2025 ward (NATIVE or EXACT); None when
        either is AMBIGUOUS or UNMAPPED, so the caller must send the case to REVIEW.
    """
    if a.ward_code_2025 is None or b.ward_code_2025 is None:
        return None
    if a.mapping not in _PLACED or b.mapping not in _PLACED:
        return None
    return a.ward_code_2025 == b.ward_code_2025


_PLACED = frozenset({MappingStatus.NATIVE, MappingStatus.EXACT})
