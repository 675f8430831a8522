"""Dossiers of the synthetic province's people, as honest applicants would fill them in.

:class:`DossierFactory` reads only the province's truth (people, households, parcels,
vehicles, enterprises): the declared data is what the person really is, never what a
source shows, so every disagreement a verdict finds comes from a source. Declared names
arrive in NFC, NFD, upper case or lower case (as typed at counters), which the checks
must absorb. Addresses are declared in the 2025 list, except where the old ward was
split and the applicant cannot know the new one (then the old codes, as in the household
book).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.crosscheck.dossier import (
    Authority,
    AuthorityLevel,
    BirthRegistration,
    BusinessRegistration,
    CriminalRecordCertificate,
    DeclaredAddress,
    DeclaredChild,
    DeclaredPerson,
    DrivingLicenceRenewal,
    Founder,
    LandTransfer,
    Procedure,
    ResidenceRegistration,
    VehicleTransfer,
)
from hub.normalise.admin_units import AdminUnits, MappingStatus, WardMapping
from hub.province import Person, Province, derive_seed
from hub.province.enterprises import Enterprise
from hub.province.land import Parcel
from hub.province.vehicles import Vehicle

__all__ = ["CARD_AGE", "DossierFactory"]

#: Citizens hold an identity card from this age (Law on Identification 2023).
CARD_AGE = 14
OFFICER = "officer-demo-01"
_SHORT = {p: "".join(w[0] for w in p.value.split("_")) for p in Procedure}


class DossierFactory:
    """Builds dossiers for the people of one province.

    Args:
        province: the synthetic province.
        at: the submission time of every dossier.
    """

    def __init__(self, province: Province, at: datetime) -> None:
        self.province = province
        self.population = province.population
        self.at = at
        self.units = AdminUnits.load()
        self._serial = 0

    # -- people and places ----------------------------------------------------------
    def person(self, index: int) -> Person:
        """Person ``index`` as of now."""
        return self.population.person(index)

    def declared(self, index: int) -> DeclaredPerson:
        """How person ``index`` declares themself (truthfully, in some Unicode form)."""
        p = self.person(index)
        style = derive_seed(self.province.config.seed, "declared-name", index) % 4
        name = p.full_name
        if style == 1:
            name = unicodedata.normalize("NFD", name)
        elif style == 2:
            name = name.upper()
        elif style == 3:
            name = f"  {name.lower()} "
        return DeclaredPerson(pin=p.pin, full_name=name, birth_date=p.birth.iso, sex=p.sex)

    def has_card(self, index: int) -> bool:
        """Whether person ``index`` was old enough for an identity card at the start."""
        birth = self.person(index).birth
        card_from = (birth.year + CARD_AGE, birth.month or 12, birth.day or 31)
        start = self.population.initial_load_end
        return card_from <= (start.year, start.month, start.day)

    def adult(self, index: int) -> bool:
        """Whether person ``index`` is 18 or older on the submission day."""
        birth = self.person(index).birth
        return (birth.year + 18, birth.month or 12, birth.day or 31) <= (
            self.at.year, self.at.month, self.at.day)  # fmt: skip

    def placement(self, index: int) -> WardMapping:
        """Where person ``index``'s ward lies in the 2025 list."""
        return self.units.to_2025(self.person(index).ward.code)

    def ward_authority(self, index: int) -> Authority:
        """The 2025 ward of person ``index`` (the first candidate of a split ward)."""
        placed = self.placement(index)
        code = placed.ward_code or placed.candidates[0]
        return Authority(level=AuthorityLevel.WARD, code=code)

    def province_authority(self, index: int) -> Authority:
        """The 2025 province of person ``index``."""
        return Authority(level=AuthorityLevel.PROVINCE,
                         code=self.placement(index).province_code or "79")  # fmt: skip

    def address(self, index: int) -> DeclaredAddress:
        """The residence person ``index`` declares."""
        p = self.person(index)
        placed = self.placement(index)
        if placed.status is MappingStatus.EXACT and placed.ward_code:
            return DeclaredAddress(
                raw=f"{p.street}, {placed.ward_name}, Thành phố Hồ Chí Minh",
                code_system="NEW_34", province_code=placed.province_code,
                ward_code=placed.ward_code,
            )  # fmt: skip
        ward = p.ward
        return DeclaredAddress(
            raw=f"{p.street}, {ward.name}, {ward.district_name}, {ward.province_name}",
            code_system="OLD_63", province_code=ward.province_code,
            district_code=ward.district_code, ward_code=ward.code,
        )  # fmt: skip

    def _base(self, procedure: Procedure, applicant: int, authority: Authority) -> dict[str, Any]:
        self._serial += 1
        return {
            "procedure": procedure,
            "dossier_id": f"{_SHORT[procedure]}-{self._serial:06d}",
            "officer": OFFICER,
            "submitted_at": self.at,
            "authority": authority,
            "applicant": self.declared(applicant),
            "identity_card_number": self.person(applicant).pin
            if self.has_card(applicant)
            else None,
        }

    # -- one builder per procedure --------------------------------------------------
    def criminal_record(self, index: int) -> CriminalRecordCertificate:
        """A criminal-record certificate requested by person ``index``."""
        base = self._base(Procedure.CRIMINAL_RECORD_CERTIFICATE, index,
                          self.province_authority(index))  # fmt: skip
        return CriminalRecordCertificate(**base, purpose="Bổ sung hồ sơ xin việc")

    def residence(self, index: int) -> ResidenceRegistration:
        """Person ``index`` registers permanent residence in their household."""
        p = self.person(index)
        head = self.population.household(self.population.household_of(index)).first
        return ResidenceRegistration(
            **self._base(Procedure.RESIDENCE_REGISTRATION, index, self.ward_authority(index)),
            address=self.address(index),
            household_id=p.household_id,
            household_head_pin=self.person(head).pin,
            relationship_to_head=p.relationship,
        )

    def birth(self, child: int) -> BirthRegistration:
        """The mother of ``child`` registers its birth (the father is declared if known)."""
        c = self.person(child)
        if c.mother is None:
            raise ValueError("the child has no declared mother")
        return BirthRegistration(
            **self._base(Procedure.BIRTH_REGISTRATION, c.mother, self.ward_authority(c.mother)),
            child=DeclaredChild(
                pin=c.pin, full_name=c.full_name, birth_date=c.birth.iso, sex=c.sex
            ),
            mother=self.declared(c.mother),
            father=self.declared(c.father) if c.father is not None else None,
            parents_married=c.father is not None,
        )

    def land_transfer(self, index: int, parcel: Parcel, transferee: int) -> LandTransfer:
        """Person ``index`` transfers ``parcel``; the other owners co-sign common property."""
        others = [o for o, _, _ in parcel.owners if o != index] if parcel.common_property else []
        return LandTransfer(
            **self._base(Procedure.LAND_TRANSFER, index, self.province_authority(index)),
            parcel_id=parcel.parcel_id,
            transferee=self.declared(transferee),
            co_signers=tuple(self.declared(o) for o in others),
        )

    def vehicle_transfer(self, index: int, vehicle: Vehicle, buyer: int) -> VehicleTransfer:
        """Person ``index`` sells ``vehicle`` to ``buyer``."""
        return VehicleTransfer(
            **self._base(Procedure.VEHICLE_TRANSFER, index, self.province_authority(index)),
            plate=vehicle.plate,
            buyer=self.declared(buyer),
        )

    def new_enterprise(self, index: int) -> BusinessRegistration:
        """Person ``index`` registers a one-member company as founder and representative."""
        declared = self.declared(index)
        return BusinessRegistration(
            **self._base(Procedure.BUSINESS_REGISTRATION, index, self.province_authority(index)),
            enterprise_name=f"CÔNG TY TNHH MỘT THÀNH VIÊN DỊCH VỤ {self._serial:04d}",
            enterprise_type="LLC_ONE",
            founders=(Founder(**declared.model_dump(), share_percent=100.0),),
            legal_representatives=(declared,),
        )

    def enterprise_change(self, enterprise: Enterprise) -> BusinessRegistration:
        """The first representative registers changes of an existing enterprise."""
        applicant = enterprise.representatives[0]
        founders = tuple(
            Founder(**self.declared(m.index).model_dump(), share_percent=m.share_percent)
            for m in enterprise.members
        )
        return BusinessRegistration(
            **self._base(
                Procedure.BUSINESS_REGISTRATION, applicant, self.province_authority(applicant)
            ),
            enterprise_code=enterprise.code,
            enterprise_name=enterprise.name_vi,
            enterprise_type=enterprise.kind,
            founders=founders,
            legal_representatives=tuple(self.declared(i) for i in enterprise.representatives),
        )

    def licence_renewal(
        self, index: int, number_of: Callable[[int], str | None] | None
    ) -> DrivingLicenceRenewal:
        """Person ``index`` renews their driving licence (its number if known)."""
        return DrivingLicenceRenewal(
            **self._base(Procedure.DRIVING_LICENCE_RENEWAL, index, self.province_authority(index)),
            licence_number=number_of(index) if number_of else None,
        )
