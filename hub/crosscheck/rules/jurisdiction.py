"""R5: the applicant lives under the receiving authority, compared in the 2025 list.

Addresses are compared only after both sides are placed in the 2025 list, never by bare
codes across code systems: an old-list ward code may be reused in the 2025 list for a
different ward (25750 was Phú Hòa, it is now Phú Lợi), and some old wards were split
among several new ones. The residence register's address is the evidence:

* placed (NATIVE or EXACT): its 2025 ward (or province) must be the authority's, else
  MISMATCH (route the dossier); a reused old code is noted (``old_code_reused``: read
  as a 2025 code it would name another ward, or none) so the officer sees why a bare
  code would mislead;
* AMBIGUOUS (a split ward, nothing in the text disambiguates): REVIEW when the authority
  is one of the candidates, MISMATCH when it is none of them; at province level the
  split does not matter when every candidate lies in the authority's province;
* UNMAPPED: REVIEW.

A declared address (residence registration) is compared with the register's the same way
(:func:`hub.normalise.address.same_place`). A cancelled registration is a MISMATCH.
"""

from __future__ import annotations

from hub.crosscheck.dossier import AuthorityLevel, DeclaredAddress, Dossier
from hub.crosscheck.evidence import Evidence
from hub.crosscheck.results import Outcome, RuleResult
from hub.crosscheck.rules._common import Findings, address, missing
from hub.errors import NormaliseError
from hub.normalise.address import CanonicalAddress, CodeSystem, normalise_address, same_place
from hub.normalise.admin_units import MappingStatus

__all__ = ["check_jurisdiction", "declared_address"]

_PLACED = (MappingStatus.NATIVE, MappingStatus.EXACT)


def declared_address(declared: DeclaredAddress, as_of: str) -> CanonicalAddress | None:
    """The declared address placed in the 2025 list (None when its codes are invalid)."""
    try:
        return normalise_address(
            declared.raw,
            code_system=CodeSystem(declared.code_system),
            as_of=as_of,
            province_code=declared.province_code,
            ward_code=declared.ward_code,
            district_code=declared.district_code,
        )
    except NormaliseError:
        return None


def check_jurisdiction(
    dossier: Dossier, evidence: Evidence, declared: DeclaredAddress | None = None
) -> RuleResult:
    """R5: the residence register's ward (and the declared address, if any) against the
    receiving authority."""
    residence = evidence.residence(dossier.applicant.pin)
    if residence is None:
        return missing("R5", "applicant", "residence", "residence registration")
    found = Findings("R5", "applicant")
    found.cite(residence)
    if residence.value.get("status") != "ACTIVE":
        found.add(Outcome.MISMATCH, "residence_cancelled",
                  "The residence registration is cancelled.")  # fmt: skip
    registered = address(residence.value.get("address"))
    if registered is None:
        found.add(Outcome.REVIEW, "unmapped_address", "The registered address has no codes.")
        return found.result("")
    _note_reused_code(found, registered)
    _against_authority(found, dossier, registered)
    if declared is not None:
        _against_declared(found, declared, registered, dossier.submitted_at.date().isoformat())
    return found.result("The registered residence lies under the receiving authority.")


def _note_reused_code(found: Findings, registered: CanonicalAddress) -> None:
    code = registered.ward_code
    if registered.code_system is not CodeSystem.OLD_63 or code is None:
        return
    if registered.mapping not in _PLACED:
        return
    if registered.ward_code_2025 != code:
        found.add(
            Outcome.MATCH,
            "old_code_reused",
            "The register writes the ward in the old list; read as a 2025 code, the same "
            "number would name another ward (or none), so it was converted before comparing.",
        )


def _against_authority(found: Findings, dossier: Dossier, registered: CanonicalAddress) -> None:
    authority = dossier.authority
    if authority.level is AuthorityLevel.PROVINCE:
        if registered.province_code_2025 == authority.code:
            found.confirm("authority")
        else:
            found.add(
                Outcome.MISMATCH,
                "outside_jurisdiction",
                "The registered residence lies in another province: route the dossier.",
            )
        return
    if registered.mapping in _PLACED:
        if registered.ward_code_2025 == authority.code:
            found.confirm("authority")
        else:
            found.add(
                Outcome.MISMATCH,
                "outside_jurisdiction",
                "The registered residence lies in another 2025 ward: route the dossier.",
            )
    elif registered.mapping is MappingStatus.AMBIGUOUS:
        if authority.code in registered.candidates_2025:
            found.add(
                Outcome.REVIEW,
                "ambiguous_split",
                f"The registered old ward was split among {len(registered.candidates_2025)} "
                "wards in 2025 and nothing in the address says which: a human decides.",
            )
        else:
            found.add(Outcome.MISMATCH, "outside_jurisdiction",
                      "None of the 2025 wards the registered old ward became is the "
                      "authority's: route the dossier.")  # fmt: skip
    else:
        found.add(Outcome.REVIEW, "unmapped_address",
                  "The registered address cannot be placed in the 2025 list.")  # fmt: skip


def _against_declared(
    found: Findings, declared: DeclaredAddress, registered: CanonicalAddress, as_of: str
) -> None:
    placed = declared_address(declared, as_of)
    same = same_place(placed, registered) if placed is not None else None
    if same:
        found.confirm("address")
    elif same is False:
        found.add(
            Outcome.MISMATCH,
            "address_mismatch",
            "The declared address lies in another 2025 ward than the registered one.",
        )
    elif MappingStatus.AMBIGUOUS in (registered.mapping, placed and placed.mapping):
        if "ambiguous_split" not in {f for _, f, _ in found.parts}:
            found.add(Outcome.REVIEW, "ambiguous_split",
                      "A split old ward makes the declared and registered addresses "
                      "impossible to compare without a human.")  # fmt: skip
    else:
        found.add(Outcome.REVIEW, "unmapped_address",
                  "The declared address cannot be placed in the 2025 list.")  # fmt: skip
