"""Dossiers: what an applicant declares to the provincial TTHC system, per procedure.

A dossier names its procedure, its dossier id, the officer handling it (purpose
limitation: every cross-check request says why and by whom) and the declared data. Each
procedure has its own model; :data:`Dossier` is their union, told apart by
``procedure``. Validation is strict (``extra="forbid"``) and every error names the
field. :func:`parse_dossier` is the one way in (JSON text, bytes or a dict);
``dossier.model_dump_json()`` is the way out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from hub.errors import HubError
from hub.normalise.dates import PartialDate
from hub.normalise.identifiers import normalise_pin

__all__ = [
    "Authority",
    "AuthorityLevel",
    "BirthRegistration",
    "BusinessRegistration",
    "CriminalRecordCertificate",
    "DeclaredAddress",
    "DeclaredChild",
    "DeclaredPerson",
    "Dossier",
    "DossierError",
    "DrivingLicenceRenewal",
    "LandTransfer",
    "Procedure",
    "ResidenceRegistration",
    "VehicleTransfer",
    "parse_dossier",
]

_PIN = r"^[0-9]{12}$"
_REQUIRED = ("procedure", "dossier_id", "officer")


class DossierError(HubError):
    """A dossier is refused: it is malformed or lacks a required field.

    Attributes:
        field: dotted path of the first offending field.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class Procedure(StrEnum):
    """The administrative procedures the cross-check service knows."""

    BUSINESS_REGISTRATION = "BUSINESS_REGISTRATION"
    BIRTH_REGISTRATION = "BIRTH_REGISTRATION"
    RESIDENCE_REGISTRATION = "RESIDENCE_REGISTRATION"
    CRIMINAL_RECORD_CERTIFICATE = "CRIMINAL_RECORD_CERTIFICATE"
    LAND_TRANSFER = "LAND_TRANSFER"
    VEHICLE_TRANSFER = "VEHICLE_TRANSFER"
    DRIVING_LICENCE_RENEWAL = "DRIVING_LICENCE_RENEWAL"


class AuthorityLevel(StrEnum):
    """The level of the receiving authority (the 2025 list has no districts)."""

    WARD = "WARD"
    PROVINCE = "PROVINCE"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DeclaredPerson(_Strict):
    """A person as the dossier declares them: PIN, legal name, date of birth, sex."""

    pin: str = Field(pattern=_PIN, description="12-digit personal identification number.")
    full_name: str = Field(min_length=1, max_length=200, description="Name as declared.")
    birth_date: str = Field(description="ISO date at its precision: YYYY, YYYY-MM, YYYY-MM-DD.")
    sex: Literal["MALE", "FEMALE"]

    @field_validator("pin")
    @classmethod
    def _pin_prefix(cls, value: str) -> str:
        normalise_pin(value)  # a prefix outside the 63-province list is refused here
        return value

    @field_validator("birth_date")
    @classmethod
    def _partial_date(cls, value: str) -> str:
        return PartialDate.from_iso(value).iso

    @property
    def birth(self) -> PartialDate:
        """The declared date of birth with its precision."""
        return PartialDate.from_iso(self.birth_date)


class DeclaredAddress(_Strict):
    """An address as declared: raw text and codes in the code system they belong to."""

    raw: str = Field(min_length=1, max_length=500)
    code_system: Literal["OLD_63", "NEW_34"]
    province_code: str | None = Field(None, pattern=r"^[0-9]{1,3}$")
    ward_code: str | None = Field(None, pattern=r"^[0-9]{1,5}$")
    district_code: str | None = Field(None, pattern=r"^[0-9]{1,3}$")


class Authority(_Strict):
    """The receiving authority, always in the 2025 list (the only one in force)."""

    level: AuthorityLevel
    code: str = Field(pattern=r"^[0-9]{2}$|^[0-9]{5}$", description="2025 province or ward.")
    name: str | None = None


class _DossierBase(_Strict):
    dossier_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$")
    officer: str = Field(min_length=1, max_length=128, description="Officer handling it.")
    submitted_at: datetime = Field(description="When it was filed; the checks' reference time.")
    authority: Authority
    applicant: DeclaredPerson
    identity_card_number: str | None = Field(
        None, pattern=_PIN, description="The identity card presented (CCCD: equals the PIN)."
    )

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset")
        return value.astimezone(UTC)


class Founder(DeclaredPerson):
    """A founder or member with a share of the charter capital."""

    share_percent: float = Field(gt=0, le=100)


class BusinessRegistration(_DossierBase):
    """Registration of an enterprise (new, or of changes when ``enterprise_code`` is set)."""

    procedure: Literal[Procedure.BUSINESS_REGISTRATION]
    enterprise_code: str | None = Field(None, pattern=r"^[0-9]{10}$")
    enterprise_name: str = Field(min_length=1, max_length=300)
    enterprise_type: Literal["PRIVATE", "LLC_ONE", "LLC_MULTI", "JSC", "PARTNERSHIP"]
    founders: tuple[Founder, ...] = Field(min_length=1)
    legal_representatives: tuple[DeclaredPerson, ...] = Field(min_length=1)


class DeclaredChild(_Strict):
    """The child of a birth registration (the PIN is set when one was already assigned)."""

    pin: str | None = Field(None, pattern=_PIN)
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: str
    sex: Literal["MALE", "FEMALE"]

    @field_validator("birth_date")
    @classmethod
    def _partial_date(cls, value: str) -> str:
        return PartialDate.from_iso(value).iso

    @property
    def birth(self) -> PartialDate:
        """The declared date of birth."""
        return PartialDate.from_iso(self.birth_date)


class BirthRegistration(_DossierBase):
    """Birth registration: the child, the mother, the father when declared."""

    procedure: Literal[Procedure.BIRTH_REGISTRATION]
    child: DeclaredChild
    mother: DeclaredPerson
    father: DeclaredPerson | None = None
    parents_married: bool = False


class ResidenceRegistration(_DossierBase):
    """Permanent residence registration in a household at an address."""

    procedure: Literal[Procedure.RESIDENCE_REGISTRATION]
    address: DeclaredAddress
    household_id: str = Field(min_length=1, max_length=32)
    household_head_pin: str = Field(pattern=_PIN)
    relationship_to_head: Literal["HEAD", "SPOUSE", "CHILD", "OTHER"]


class CriminalRecordCertificate(_DossierBase):
    """A criminal-record certificate (phiếu lý lịch tư pháp) for the applicant."""

    procedure: Literal[Procedure.CRIMINAL_RECORD_CERTIFICATE]
    purpose: str = Field(min_length=1, max_length=300)


class LandTransfer(_DossierBase):
    """Transfer of a land-use right; the applicant is the transferor."""

    procedure: Literal[Procedure.LAND_TRANSFER]
    parcel_id: str = Field(pattern=r"^[0-9b-hjkmnp-z]{12}$", description="12-char GeoHash.")
    transferee: DeclaredPerson
    co_signers: tuple[DeclaredPerson, ...] = ()


class VehicleTransfer(_DossierBase):
    """Transfer of a registered vehicle; the applicant is the seller."""

    procedure: Literal[Procedure.VEHICLE_TRANSFER]
    plate: str = Field(min_length=6, max_length=16)
    buyer: DeclaredPerson


class DrivingLicenceRenewal(_DossierBase):
    """Renewal (cấp đổi) of a driving licence; the number when the applicant has it."""

    procedure: Literal[Procedure.DRIVING_LICENCE_RENEWAL]
    licence_number: str | None = Field(None, pattern=r"^[0-9]{12}$")


Dossier = Annotated[
    BusinessRegistration
    | BirthRegistration
    | ResidenceRegistration
    | CriminalRecordCertificate
    | LandTransfer
    | VehicleTransfer
    | DrivingLicenceRenewal,
    Field(discriminator="procedure"),
]
"""Any dossier; ``procedure`` says which model applies."""

_ADAPTER: TypeAdapter[Dossier] = TypeAdapter(Dossier)


def parse_dossier(data: str | bytes | dict[str, Any]) -> Dossier:
    """Validate a dossier (JSON text, bytes or an already decoded dict).

    Raises:
        DossierError: not JSON (or nested too deeply to parse), not a JSON object, no
            procedure, dossier id or officer (checked first, with a message naming the
            missing one), an unknown procedure, or any field that fails validation (the
            first is named with its dotted path).
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise DossierError(f"not JSON: {exc}") from exc
        except RecursionError as exc:  # "[[[[..." deeper than the parser's recursion limit
            raise DossierError("not JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise DossierError("a dossier is a JSON object")
    for name in _REQUIRED:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DossierError(f"a dossier must name its {name.replace('_', ' ')}", field=name)
    if data["procedure"] not in Procedure.__members__.values():
        known = ", ".join(p.value for p in Procedure)
        raise DossierError(f"unknown procedure; known: {known}", field="procedure")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"][1:] or first["loc"])
        raise DossierError(first["msg"], field=path) from exc


def dossier_json(dossier: Dossier) -> dict[str, Any]:
    """The dossier as a JSON-ready dict (the inverse of :func:`parse_dossier`)."""
    return dossier.model_dump(mode="json", exclude_none=True)
