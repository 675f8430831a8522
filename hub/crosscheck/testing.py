"""Canonical records for tests of the cross-check rules (and of the Faust wiring later).

Each factory returns a canonical record dict with the fields the rules read, in the form
the mappers produce (dates as ``date``, partial dates as ``{iso, precision}``, addresses
placed in the 2025 list). :class:`Fixture` feeds them into an :class:`InMemoryEvidence`
with a version and an update time. All identifiers are synthetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hub.crosscheck.evidence import InMemoryEvidence
from hub.normalise.address import CodeSystem, normalise_address_avro
from hub.normalise.dates import PartialDate

__all__ = ["Fixture", "address", "partial"]

AS_OF = datetime(2024, 1, 1, tzinfo=UTC)
SOURCES = ("population", "civil_status", "identity_cards", "residence", "judicial", "tax",
           "land", "vehicles", "driving_licences", "business_registration")  # fmt: skip


def partial(iso: str) -> dict[str, str]:
    """A canonical partial date."""
    return {"iso": iso, "precision": PartialDate.from_iso(iso).precision.value}


def address(ward: str, system: str = "OLD_63", raw: str = "Số 1, đường Yersin") -> dict[str, Any]:
    """A canonical address of a ward code in ``system`` (province from the ward)."""
    province = "74" if system == "OLD_63" else "79"
    return normalise_address_avro(raw, code_system=CodeSystem(system), as_of="2020-01-01",
                                  province_code=province, ward_code=ward)  # fmt: skip


class Fixture:
    """An :class:`InMemoryEvidence` with factories for the records rules read.

    Every source of :data:`SOURCES` is marked seen, so R14 finds them available.
    """

    def __init__(self) -> None:
        self.evidence = InMemoryEvidence()
        for source in SOURCES:
            self.evidence.mark_seen(source, AS_OF)

    def put(
        self, source: str, entity: str, key: str, value: dict[str, Any], *,
        version: str = "1", at: datetime = AS_OF,
    ) -> dict[str, Any]:  # fmt: skip
        """Add one record; return its value."""
        self.evidence.add(source, entity, key, value, version, at)
        return value

    def citizen(
        self, pin: str, name: str, birth: str, sex: str, *, version: str = "1", **extra: Any
    ) -> dict[str, Any]:
        """A population citizen (alive, in ward 25747 unless told otherwise)."""
        value = {"pin": pin, "full_name": name, "birth_date": partial(birth), "sex": sex,
                 "status": "ALIVE", "date_of_death": None, "marital_status": "SINGLE",
                 "spouse_pin": None, "household_id": "74000000001",
                 "household_head_pin": pin, "relationship_to_head": "HEAD",
                 "permanent_address": address("25747")}  # fmt: skip
        return self.put("population", "citizen", pin, {**value, **extra}, version=version)

    def card(
        self, pin: str, name: str, birth: str, sex: str, *, version: str = "1", **extra: Any
    ) -> dict[str, Any]:
        """A valid identity card until 2040."""
        value = {"pin": pin, "card_number": pin, "full_name": name,
                 "birth_date": partial(birth), "sex": sex, "status": "VALID",
                 "expiry_date": date(2040, 1, 1)}  # fmt: skip
        return self.put("identity_cards", "identity_card", pin, {**value, **extra},
                        version=version)  # fmt: skip

    def residence(
        self, pin: str, ward: str, system: str = "OLD_63", *, version: str = "1",
        at: datetime = AS_OF, **extra: Any,
    ) -> None:  # fmt: skip
        """An active residence registration."""
        value = {"pin": pin, "registration_id": f"CT{pin[-6:]}", "household_id": "74000000001",
                 "status": "ACTIVE", "address": address(ward, system)}  # fmt: skip
        self.put("residence", "residence", pin, {**value, **extra}, version=version, at=at)

    def death(self, pin: str, died: str) -> None:
        """A civil-status death registration."""
        self.put(
            "civil_status",
            "death",
            pin,
            {"pin": pin, "date_of_death": partial(died), "registration_number": "KT-1"},
        )

    def marriage(self, number: str, husband: str, wife: str, married: str) -> None:
        """A registered marriage."""
        self.put("civil_status", "marriage", number,
                 {"registration_number": number, "husband_pin": husband, "wife_pin": wife,
                  "date_of_marriage": partial(married), "status": "REGISTERED"})  # fmt: skip

    def parcel(self, parcel_id: str, owners: list[str], **extra: Any) -> None:
        """A parcel (common property when two owners), free of restrictions."""
        share = 100.0 / len(owners)
        value = {"parcel_id": parcel_id, "address": address("25747"), "long_term": True,
                 "term_until": None, "common_property": len(owners) == 2,
                 "owners": [{"pin": o, "share_percent": share, "deceased": False}
                            for o in owners],
                 "encumbrances": [], "unpaid_obligations_vnd": 0}  # fmt: skip
        self.put("land", "parcel", parcel_id, {**value, **extra})

    def vehicle(self, plate: str, owner: str, **extra: Any) -> None:
        """A registered vehicle, not stolen."""
        value = {"plate": plate, "owner_pin": owner, "stolen": False,
                 "registration_status": "REGISTERED"}  # fmt: skip
        self.put("vehicles", "vehicle", plate, {**value, **extra})

    def licence(self, number: str, holder: str | None, status: str = "VALID") -> None:
        """A driving licence; no holder PIN makes it an unlinkable paper licence."""
        self.put("driving_licences", "driving_licence", number,
                 {"licence_number": number, "holder_pin": holder, "status": status,
                  "link_status": "LINKED" if holder else "UNLINKABLE"})  # fmt: skip

    def tax(self, pin: str, debt: int = 0) -> None:
        """An individual tax account."""
        self.put("tax", "tax_account", pin,
                 {"tax_code": pin, "pin": pin, "outstanding_debt_vnd": debt,
                  "debt_category": "LAND_USE_FEE" if debt else None})  # fmt: skip
