"""A simulation of the Ministry of Justice's civil-status e-registry data-sharing API.

One change feed for every registration type, the way the e-registry's integration API
publishes it: English snake_case field names, ISO 8601 dates (reduced precision for old
births: ``1958`` or ``1958-04``), UTC timestamps with ``Z``, sex as ``M``/``F``, offices
with old-list (pre-2025) administrative codes, and a ``record_type`` per row.

Endpoint (path of :meth:`CivilStatusService.get`):

``/hotich/api/v2/registrations``
    ``since`` (ISO timestamp, inclusive: ``last_modified >= since``), ``offset`` (rows of
    that result to skip), ``limit`` (≤ :data:`MAX_LIMIT`), ``type`` (optional, comma
    separated ``birth,death,marriage``). Rows are ordered by ``(last_modified,
    registration_no)``. Answer: ``{"data": [...], "paging": {"offset", "limit", "count",
    "next_offset"}}``; ``next_offset`` is null on the last page.

Faults come from a :class:`~hub.province.faults.FaultInjector`.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.normalise.admin_units import OldWard
from hub.province import Province, derive_seed
from hub.province.civil_status import CivilRegister, Registration
from hub.province.faults import FaultInjector
from hub.province.transport import MockResponse, faulty

SOURCE = "civil_status"
PATH = "/hotich/api/v2/registrations"
MAX_LIMIT = 200
SEX_CODE = {"MALE": "M", "FEMALE": "F"}
KINDS = ("birth", "death", "marriage")


def _error(status: int, code: str, message: str) -> MockResponse:
    return MockResponse(status, orjson.dumps({"error": {"code": code, "message": message}}))


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _office(ward: OldWard) -> dict[str, Any]:
    return {
        "office_name": f"UBND {ward.name}",
        "address_text": f"{ward.name}, {ward.district_name}, {ward.province_name}",
        "province_code": ward.province_code,
        "district_code": ward.district_code,
        "ward_code": ward.code,
    }


class CivilStatusService:
    """The simulated e-registry over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        self.province = province
        self.register = CivilRegister(province)
        self.faults = faults or FaultInjector()
        self.calls = 0

    async def get(self, path: str, params: dict[str, str]) -> MockResponse:
        """Answer one request (may raise :class:`~hub.province.transport.SimulatedTimeout`)."""
        self.calls += 1
        if path != PATH:
            return _error(404, "NOT_FOUND", "no such resource")
        try:
            offset = int(params.get("offset", "0"))
            limit = min(int(params.get("limit", str(MAX_LIMIT))), MAX_LIMIT)
            since = datetime.fromisoformat(params["since"]) if params.get("since") else None
        except ValueError as exc:
            return _error(400, "INVALID_PARAMETER", str(exc))
        if offset < 0 or limit < 1 or (since is not None and since.tzinfo is None):
            return _error(400, "INVALID_PARAMETER", "offset, limit or since out of range")
        kinds = set(params.get("type", ",".join(KINDS)).split(","))
        found = (r for r in self.register.since(since) if r.kind in kinds)
        window = list(itertools.islice(found, offset, offset + limit + 1))
        rows = [self.render(r) for r in window[:limit]]
        more = len(window) > limit
        body = {
            "data": rows,
            "paging": {
                "offset": offset,
                "limit": limit,
                "count": len(rows),
                "next_offset": offset + len(rows) if more else None,
            },
        }
        return await faulty(self.faults, MockResponse(200, orjson.dumps(body)))

    def render(self, reg: Registration) -> dict[str, Any]:
        """The native JSON row of a registration (corrupted when the province says so)."""
        pop = self.province.population
        row: dict[str, Any] = {
            "record_type": reg.kind,
            "registration_no": reg.number,
            "registration_date": reg.registered_on.isoformat(),
            "registration_office": _office(reg.office),
            "revision": reg.version,
            "last_modified": _timestamp(reg.updated_at),
        }
        subject = pop.person(reg.subject)
        if reg.kind == "birth":
            row["child"] = {
                "pin": subject.pin,
                "full_name": subject.full_name,
                "date_of_birth": reg.event.iso,
                "sex": SEX_CODE[subject.sex],
            }
            if subject.mother is not None:
                row["mother_pin"] = pop.pin(subject.mother)
            if subject.father is not None:
                row["father_pin"] = pop.pin(subject.father)
        elif reg.kind == "death":
            if reg.outsider_pin and reg.outsider_name and reg.outsider_sex:
                deceased = (reg.outsider_pin, reg.outsider_name, reg.outsider_sex)
            else:
                deceased = (subject.pin, subject.full_name, subject.sex)
            row["deceased"] = {
                "pin": deceased[0],
                "full_name": deceased[1],
                "sex": SEX_CODE[deceased[2]],
            }
            row["date_of_death"] = reg.event.iso
            row["place_of_death"] = _office(reg.office)["address_text"]
        else:
            partner = (
                (pop.pin(reg.partner), pop.person(reg.partner).full_name)
                if reg.partner is not None
                else (reg.outsider_pin, reg.outsider_name)
            )
            head = {"pin": subject.pin, "full_name": subject.full_name}
            other = {"pin": partner[0], "full_name": partner[1]}
            row["husband"], row["wife"] = (head, other) if subject.sex == "MALE" else (other, head)
            row["marriage_date"] = reg.event.iso
            row["status"] = "dissolved" if reg.dissolved_on else "registered"
            row["dissolution_date"] = reg.dissolved_on.isoformat() if reg.dissolved_on else None
        draw = reg.subject * 8 + KINDS.index(reg.kind) * 2 + (1 if reg.outsider_pin else 0)
        if self.province.malformed(SOURCE, draw):
            _corrupt(row, derive_seed(self.province.config.seed, SOURCE, draw))
        return row


#: The ways a row can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "bad_pin", "missing_party", "unknown_type", "bad_sex")


def _corrupt(row: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    party = {"birth": "child", "death": "deceased", "marriage": "husband"}[row["record_type"]]
    if kind == "bad_date":
        row["registration_date"] = row["registration_date"][:5] + "02-30"
    elif kind == "bad_pin":
        pin = row[party]["pin"]
        row[party] = {**row[party], "pin": pin[:4] + "O" + pin[5:]}
    elif kind == "missing_party":
        del row[party]
    elif kind == "unknown_type":
        row["record_type"] = "adoption"
    elif row["record_type"] == "marriage":
        row["status"] = "annulled?"
    else:
        row[party] = {**row[party], "sex": "U"}
