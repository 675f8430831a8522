"""A simulation of the Identity-card database's SOAP data-sharing service (Public Security).

One SOAP 1.1 operation, namespace :data:`NAMESPACE`, endpoint :data:`PATH`::

    LayDanhSachTheCanCuoc(tuNgay, trang, soBanGhi)
      → <tongSoTrang/>? <conTrangSau>true|false</conTrangSau> <TheCanCuoc>*

It lists the cards whose ``ngayCapNhat`` is at or after ``tuNgay`` (``dd/mm/yyyy
HH:MM:SS``, Vietnam time; absent = everything), ordered by (ngayCapNhat, soDinhDanh),
``soBanGhi`` (≤ 500) per page, ``trang`` counting from 1. Dates are ``dd/mm/yyyy``;
status and card type are Vietnamese labels; the name is printed in upper case; an old
9-digit CMND appears as a separate ``CMNDCu`` element. Biometrics are not served.

People under 14 on 2024-01-01 hold no card. A death revokes the card ("Đã thu hồi").
Discrepancies owned here (``name_diacritics``, ``name_mismatch``, ``dob_mismatch``,
``id_card_invalid``) change what the card shows; malformed records come in four kinds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from connectors.identity_cards.expiry import RENEWAL_AGES, birthday_at, card_expiry
from hub.normalise.dates import VN_TZ, PartialDate
from hub.normalise.names import strip_diacritics
from hub.province import Person, Province, derive_seed
from hub.province import vocabulary as v
from hub.province.discrepancies import DiscrepancyType as D
from hub.province.faults import FaultInjector
from hub.province.people import BASE_TIME, TIMESTAMP_GROUP
from hub.province.soap import SoapClientFault, SoapRequest, SoapService, response
from hub.province.transport import MockResponse

SOURCE = "identity_cards"
NAMESPACE = "urn:bocongan:csdl-cancuoc:v1"
PATH = "/soap/CanCuocService"
MAX_PAGE_SIZE = 500
#: The date the cards are generated as of (the province's initial load).
REFERENCE = date(2024, 1, 1)
CCCD_START, CHIP_START = date(2016, 1, 1), date(2021, 1, 23)
MIN_AGE = 14

STATUS_LABEL = {"VALID": "Còn hiệu lực", "LOST": "Báo mất", "REVOKED": "Đã thu hồi"}
LEGACY_STATUS_LABEL = {"REPLACED": "Đã đổi sang CCCD", "LOST": "Báo mất"}
TYPE_LABEL = {"CCCD_BARCODE": "CCCD mã vạch", "CCCD_CHIP": "CCCD gắn chip"}
AUTHORITY = {
    "CCCD_BARCODE": "Cục Cảnh sát ĐKQL cư trú và DLQG về dân cư",
    "CCCD_CHIP": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
}
SEX_LABEL = {"MALE": "Nam", "FEMALE": "Nữ"}

Position = tuple[str, str]  # (ngayCapNhat as ISO UTC, soDinhDanh): the service's order


def vn_timestamp(moment: datetime) -> str:
    """``dd/mm/yyyy HH:MM:SS`` in Vietnam time, as the service writes update times."""
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


class IdentityCardService(SoapService):
    """The simulated identity-card service over one synthetic province.

    Args:
        province: the shared synthetic province.
        faults: fault injection for every call.
    """

    namespace = NAMESPACE
    path = PATH

    def __init__(self, province: Province, faults: FaultInjector | None = None) -> None:
        super().__init__(faults)
        self.province = province
        self.population = province.population

    def operations(self) -> dict[str, Callable[[SoapRequest], MockResponse]]:
        """The service's operations."""
        return {"LayDanhSachTheCanCuoc": self._list_cards}

    def _list_cards(self, request: SoapRequest) -> MockResponse:
        size = min(request.integer("soBanGhi", 100, low=1, high=100_000), MAX_PAGE_SIZE)
        page = request.integer("trang", 1, low=1)
        since = _parse_since(request.params.get("tuNgay", ""))
        skip = (page - 1) * size
        rows: list[dict[str, Any]] = []
        more = False
        for person, updated in self._cards_since(since):
            if skip:
                skip -= 1
            elif len(rows) < size:
                rows.append(self.render_card(person, updated))
            else:
                more = True
                break
        body = {"conTrangSau": "true" if more else "false", "TheCanCuoc": rows}
        return response("LayDanhSachTheCanCuoc", NAMESPACE, body)

    # -- which cards, in which order ------------------------------------------------
    def holds_card(self, person: Person) -> bool:
        """Whether ``person`` holds a card (14 or older on :data:`REFERENCE`)."""
        return birthday_at(person.birth, MIN_AGE) <= REFERENCE

    def card_change(self, index: int) -> datetime | None:
        """When the timeline revoked the card of person ``index`` (a death), if it did."""
        change = self.province.timeline.death_of(index, self.population)
        return change.at if change else None

    def _cards_since(self, since: datetime | None) -> Iterator[tuple[Person, datetime]]:
        """(person, card update time) with update time ≥ ``since``, in service order."""
        pop = self.population
        initial_end = pop.initial_load_end
        if since is None or since < initial_end:
            first = 0 if since is None else max(0, int((since - BASE_TIME).total_seconds()))
            for group in range(first, (pop.citizens - 1) // TIMESTAMP_GROUP + 1):
                members = range(
                    group * TIMESTAMP_GROUP, min(pop.citizens, (group + 1) * TIMESTAMP_GROUP)
                )
                people = [pop.person(i) for i in members if self.card_change(i) is None]
                at = pop.base_updated_at(group * TIMESTAMP_GROUP)
                yield from ((p, at) for p in sorted(people, key=_pin) if self.holds_card(p))
        changed: dict[int, datetime] = {}
        for change in self.province.timeline.changed_since(since or initial_end):
            revoked = self.card_change(change.index)
            if revoked is not None and revoked == change.at:
                changed[change.index] = revoked
        ordered = [(at, pop.person(i)) for i, at in changed.items()]
        for at, person in sorted(ordered, key=lambda pair: (pair[0], pair[1].pin)):
            if self.holds_card(person):
                yield person, at

    # -- one card -------------------------------------------------------------------
    def render_card(self, p: Person, updated: datetime) -> dict[str, Any]:
        """The native record of a person's card, with the source's quirks and faults."""
        key = derive_seed(self.province.config.seed, SOURCE, p.index)
        rng = random.Random(key)
        kind = self.province.discrepancy_of(p.index)
        issued = _issue_date(p.birth, rng)
        status = "REVOKED" if p.status == "DECEASED" else "VALID"
        if kind is D.ID_CARD_INVALID:
            expired_issue = _expired_issue(p.birth)
            if expired_issue is None:
                status = "REVOKED"
            else:
                issued = expired_issue
        card_type = "CCCD_CHIP" if issued >= CHIP_START else "CCCD_BARCODE"
        expiry = card_expiry(_birth_shown(p, kind), issued)
        record: dict[str, Any] = {
            "soDinhDanh": p.pin,
            "soThe": p.pin,
            "loaiThe": TYPE_LABEL[card_type],
            "hoTenIn": _name_shown(p, kind, rng).upper(),
            "ngaySinh": _birth_shown(p, kind).to_vn(),
            "gioiTinh": SEX_LABEL[p.sex],
            "ngayCap": _vn(issued),
            "ngayHetHan": _vn(expiry) if expiry else "Không thời hạn",
            "noiCap": AUTHORITY[card_type],
            "trangThai": STATUS_LABEL[status],
            "CMNDCu": _legacy_card(p, rng),
            "phienBan": 2 if updated > self.population.initial_load_end else 1,
            "ngayCapNhat": vn_timestamp(updated),
        }
        if card_type == "CCCD_BARCODE" and rng.random() < 0.3:
            del record["ngayHetHan"]  # older records predate the field: derive from DOB
        if self.province.malformed(SOURCE, p.index):
            _corrupt(record, key)
        return record


def _pin(person: Person) -> str:
    return person.pin


def _parse_since(text: str) -> datetime | None:
    if not text:
        return None
    try:
        local = datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
    except ValueError:
        raise SoapClientFault("tuNgay: expected dd/mm/yyyy HH:MM:SS") from None
    return local.replace(tzinfo=VN_TZ)


def _vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _issue_date(birth: PartialDate, rng: random.Random) -> date:
    """First card at 14 or from 2016, renewed (a few months late) until currently valid."""
    first = max(CCCD_START, birthday_at(birth, MIN_AGE))
    span = max(1, (REFERENCE - first).days)
    issued = first + timedelta(days=rng.randrange(span))
    expiry = card_expiry(birth, issued)
    while expiry is not None and expiry <= REFERENCE:
        issued = min(expiry + timedelta(days=rng.randrange(1, 180)), REFERENCE - timedelta(1))
        expiry = card_expiry(birth, issued)
    return issued


def _expired_issue(birth: PartialDate) -> date | None:
    """An issue date whose card expired before :data:`REFERENCE`, when one is possible."""
    for age in reversed(RENEWAL_AGES):
        due = birthday_at(birth, age)
        issued = birthday_at(birth, age - 3)
        if due <= REFERENCE and issued >= CCCD_START:
            return issued
    return None


def _name_shown(p: Person, kind: D | None, rng: random.Random) -> str:
    if kind is D.NAME_DIACRITICS:
        return strip_diacritics(p.full_name)
    if kind is D.NAME_MISMATCH:
        names = v.GIVEN_NAMES_MALE if p.sex == "MALE" else v.GIVEN_NAMES_FEMALE
        bare = strip_diacritics(p.given_name).casefold()
        # another name, not the same one spelt with other marks (Hoa/Hòa): that is REVIEW
        other = [n for n in names if strip_diacritics(n).casefold() != bare]
        return f"{p.family_name} {p.middle_name} {other[rng.randrange(len(other))]}"
    return p.full_name


def _birth_shown(p: Person, kind: D | None) -> PartialDate:
    if kind is not D.DOB_MISMATCH:
        return p.birth
    day = (p.birth.day or 14) % 28 + 1
    return PartialDate(p.birth.year, p.birth.month or 6, day)


def _legacy_card(p: Person, rng: random.Random) -> dict[str, Any] | None:
    if p.legacy_id is None:
        return None
    issued = birthday_at(p.birth, 16) + timedelta(days=rng.randrange(3000))
    return {
        "soCMND": p.legacy_id,
        "ngayCap": _vn(min(issued, CCCD_START - timedelta(days=1))),
        "noiCap": "Công an tỉnh Bình Dương",
        "trangThai": LEGACY_STATUS_LABEL["LOST" if rng.random() < 0.05 else "REPLACED"],
    }


#: The ways a card record can arrive broken (the ground truth of dead letters).
CORRUPTIONS = ("bad_date", "bad_card_number", "missing_name", "unknown_status", "nested_name")


def _corrupt(record: dict[str, Any], key: int) -> None:
    kind = CORRUPTIONS[(key >> 8) % len(CORRUPTIONS)]
    if kind == "bad_date":
        record["ngayCap"] = "31/02/" + record["ngayCap"][-4:]
    elif kind == "bad_card_number":  # the key (soDinhDanh) is the table's, never garbled
        record["soThe"] = record["soThe"][:5] + "X" + record["soThe"][6:]
    elif kind == "missing_name":
        del record["hoTenIn"]
    elif kind == "unknown_status":
        record["trangThai"] = "Đang xử lý"
    else:
        record["hoTenIn"] = {"ho": record["hoTenIn"].split(" ")[0]}
