"""Each cross-check rule on its own, with the edge cases DOMAIN.md names."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hub.crosscheck import Outcome, parse_dossier
from hub.crosscheck import rules as r
from hub.crosscheck.dossier import DeclaredPerson
from hub.crosscheck.testing import Fixture, address

MAN = "074085123456"  # male, 1985
WOMAN = "074190222222"  # female, 1990
OLD = "074050333333"  # male, 1950
CHILD = "074320444444"  # female, 2020


def person(pin: str = MAN, name: str = "Nguyễn Văn Hòa", birth: str = "1985-03-07",
           sex: str = "MALE") -> DeclaredPerson:  # fmt: skip
    return DeclaredPerson.model_validate(
        {"pin": pin, "full_name": name, "birth_date": birth, "sex": sex}
    )


def dossier(procedure: str, applicant: DeclaredPerson | None = None, **fields: Any) -> Any:
    data = {
        "procedure": procedure, "dossier_id": "D-1", "officer": "officer-07",
        "submitted_at": "2024-01-02T02:00:00+00:00",
        "authority": {"level": "PROVINCE", "code": "79"},
        "applicant": (applicant or person()).model_dump(), **fields,
    }  # fmt: skip
    return parse_dossier(data)


@pytest.fixture
def fx() -> Fixture:
    f = Fixture()
    f.citizen(MAN, "NGUYỄN VĂN HÒA", "1985-03-07", "MALE")
    return f


# -- R1 identity --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "declared",
    [
        "Nguyễn Văn Hòa",
        unicodedata.normalize("NFD", "Nguyễn Văn Hòa"),
        "nguyễn  văn hoà",
        "NGUYỄN VĂN HOÀ",
    ],
)
def test_r1_absorbs_unicode_form_case_spacing_and_tone_placement(
    fx: Fixture, declared: str
) -> None:
    result = r.check_identity(person(name=declared), fx.evidence)
    assert result.outcome is Outcome.MATCH
    assert {"applicant.full_name", "applicant.birth_date", "applicant.sex"} <= set(result.confirmed)


def test_r1_diacritics_only_is_review_and_another_name_a_mismatch(fx: Fixture) -> None:
    review = r.check_identity(person(name="Nguyen Van Hoa"), fx.evidence)
    assert (review.outcome, review.findings) == (Outcome.REVIEW, ("name_diacritics_only",))
    mismatch = r.check_identity(person(name="Nguyễn Văn Hải"), fx.evidence)
    assert mismatch.outcome is Outcome.MISMATCH
    assert MAN not in mismatch.reason and "Hải" not in mismatch.reason


def test_r1_compares_a_year_only_birth_date_at_the_precision_held() -> None:
    f = Fixture()
    f.citizen(OLD, "Trần Văn Sơn", "1950", "MALE")
    assert r.check_identity(person(OLD, "Trần Văn Sơn", "1950-06-14"), f.evidence).outcome \
        is Outcome.MATCH  # fmt: skip
    assert r.check_identity(person(OLD, "Trần Văn Sơn", "1950"), f.evidence).outcome \
        is Outcome.MATCH  # fmt: skip
    wrong = r.check_identity(person(OLD, "Trần Văn Sơn", "1951-06-14"), f.evidence)
    assert wrong.outcome is Outcome.MISMATCH
    assert "dob_mismatch" in wrong.findings


def test_r1_without_a_population_record_is_inconclusive() -> None:
    result = r.check_identity(person(), Fixture().evidence)
    assert (result.outcome, result.findings) == (Outcome.INCONCLUSIVE, ("missing:population",))


def test_r1_sends_a_register_that_disagrees_on_sex_to_review(fx: Fixture) -> None:
    fx.put(
        "health_insurance",
        "health_insurance_card",
        MAN,
        {"pin": MAN, "sex": "FEMALE", "birth_date": {"iso": "1985-03-07", "precision": "DAY"}},
    )
    result = r.check_identity(person(), fx.evidence)
    assert result.outcome is Outcome.REVIEW
    assert "register_sex_conflict" in result.findings
    assert {c.source for c in result.citations} == {"population", "health_insurance"}


# -- R2 PIN consistency ---------------------------------------------------------------------
def test_r2_flags_a_register_birth_year_the_pin_contradicts() -> None:
    f = Fixture()
    f.citizen(MAN, "Nguyễn Văn Hòa", "1986-03-07", "MALE")
    result = r.check_pin_consistency(person(), f.evidence)
    assert (result.outcome, result.findings) == (Outcome.REVIEW, ("pin_inconsistent",))
    assert MAN not in result.reason
    identity = r.check_identity(person(), f.evidence)  # declared agrees with the PIN
    assert (identity.outcome, identity.findings) == (
        Outcome.REVIEW, ("register_dob_contradicts_pin",))  # fmt: skip


def test_r2_accepts_a_consistent_pin(fx: Fixture) -> None:
    assert r.check_pin_consistency(person(), fx.evidence).outcome is Outcome.MATCH


# -- R3 life status -------------------------------------------------------------------------
def test_r3_blocks_a_deceased_applicant() -> None:
    f = Fixture()
    f.citizen(MAN, "Nguyễn Văn Hòa", "1985-03-07", "MALE", status="DECEASED",
              date_of_death={"iso": "2020-05-01", "precision": "DAY"})  # fmt: skip
    result = r.check_life_status(person(), f.evidence)
    assert (result.outcome, result.findings) == (Outcome.MISMATCH, ("deceased",))
    assert r.check_life_status(person(), f.evidence, expect_alive=False).outcome is Outcome.MATCH


def test_r3_blocks_a_death_registered_only_in_civil_status(fx: Fixture) -> None:
    fx.death(MAN, "2021-04-02")
    result = r.check_life_status(person(), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.MISMATCH, ("death_registered_elsewhere",))
    assert len(result.citations) == 2


def test_r3_passes_the_living(fx: Fixture) -> None:
    assert r.check_life_status(person(), fx.evidence).outcome is Outcome.MATCH


# -- R4 identity card -----------------------------------------------------------------------
def _crc(**fields: Any) -> Any:
    return dossier("CRIMINAL_RECORD_CERTIFICATE", identity_card_number=MAN, purpose="x", **fields)


@pytest.mark.parametrize(
    ("card", "outcome", "finding"),
    [
        ({}, Outcome.MATCH, None),
        ({"full_name": "Nguyen Van Hoa"}, Outcome.REVIEW, "card_name_diacritics_only"),
        ({"full_name": "Nguyễn Văn Hùng"}, Outcome.MISMATCH, "card_name_mismatch"),
        (
            {"birth_date": {"iso": "1985-03-08", "precision": "DAY"}},
            Outcome.MISMATCH,
            "card_dob_mismatch",
        ),
        ({"expiry_date": date(2023, 12, 31)}, Outcome.REVIEW, "card_expired"),
        ({"status": "REVOKED"}, Outcome.MISMATCH, "card_revoked"),
        ({"status": "LOST"}, Outcome.MISMATCH, "card_lost"),
    ],
)
def test_r4_checks_the_card(fx: Fixture, card: dict[str, Any], outcome: Outcome,
                            finding: str | None) -> None:  # fmt: skip
    fx.card(MAN, "Nguyễn Văn Hòa", "1985-03-07", "MALE", **card)
    result = r.check_identity_document(_crc(), fx.evidence)
    assert result.outcome is outcome
    assert finding is None or finding in result.findings


def test_r4_a_card_more_precise_than_a_year_only_declaration_goes_to_review() -> None:
    f = Fixture()
    f.card(OLD, "Trần Văn Sơn", "1950-06-14", "MALE")
    crc = dossier("CRIMINAL_RECORD_CERTIFICATE", person(OLD, "Trần Văn Sơn", "1950"),
                  identity_card_number=OLD, purpose="x")  # fmt: skip
    result = r.check_identity_document(crc, f.evidence)
    assert (result.outcome, result.findings) == (Outcome.REVIEW, ("card_dob_precision",))


def test_r4_without_the_card_is_inconclusive(fx: Fixture) -> None:
    assert r.check_identity_document(_crc(), fx.evidence).outcome is Outcome.INCONCLUSIVE


# -- R5 jurisdiction ------------------------------------------------------------------------
def _ward(code: str) -> dict[str, str]:
    return {"level": "WARD", "code": code}


def test_r5_converts_old_codes_before_comparing_the_code_reuse_hazard(fx: Fixture) -> None:
    # Old 25744 (Phú Lợi) became part of new 25750, which kept the code of old Phú Hòa:
    # a bare comparison (25744 vs 25750) would route an honest applicant away.
    fx.residence(MAN, "25744")
    result = r.check_jurisdiction(_crc(authority=_ward("25750")), fx.evidence)
    assert result.outcome is Outcome.MATCH
    assert result.findings == ("old_code_reused",)
    outside = r.check_jurisdiction(_crc(authority=_ward("25747")), fx.evidence)
    assert (outside.outcome, outside.findings[-1]) == (Outcome.MISMATCH, "outside_jurisdiction")


def test_r5_old_and_new_codes_of_the_same_place_agree(fx: Fixture) -> None:
    fx.residence(MAN, "25750", "NEW_34")
    declared = {"raw": "Số 1, Phường Phú Lợi (cũ)", "code_system": "OLD_63",
                "province_code": "74", "ward_code": "25744"}  # fmt: skip
    reg = dossier("RESIDENCE_REGISTRATION", authority=_ward("25750"), address=declared,
                  household_id="74000000001", household_head_pin=MAN,
                  relationship_to_head="HEAD")  # fmt: skip
    result = r.check_jurisdiction(reg, fx.evidence, reg.address)
    assert result.outcome is Outcome.MATCH
    assert "address" in result.confirmed


def test_r5_an_ambiguous_split_ward_goes_to_review(fx: Fixture) -> None:
    fx.residence(MAN, "25741")  # split between 25747 and 25750, no street disambiguates
    result = r.check_jurisdiction(_crc(authority=_ward("25747")), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.REVIEW, ("ambiguous_split",))
    elsewhere = r.check_jurisdiction(_crc(authority=_ward("25864")), fx.evidence)
    assert elsewhere.outcome is Outcome.MISMATCH
    province = r.check_jurisdiction(_crc(), fx.evidence)  # every candidate lies in 79
    assert province.outcome is Outcome.MATCH


def test_r5_without_a_residence_record_is_inconclusive(fx: Fixture) -> None:
    result = r.check_jurisdiction(_crc(), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.INCONCLUSIVE, ("missing:residence",))


# -- R6 birth registration ------------------------------------------------------------------
def _birth(father: bool = True, married: bool = True) -> Any:
    return dossier(
        "BIRTH_REGISTRATION", person(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE"),
        child={"pin": CHILD, "full_name": "Nguyễn Thị An", "birth_date": "2020-05-10",
               "sex": "FEMALE"},
        mother=person(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE").model_dump(),
        father=person().model_dump() if father else None, parents_married=married,
    )  # fmt: skip


@pytest.fixture
def family(fx: Fixture) -> Fixture:
    fx.citizen(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    fx.marriage("KH-2015-1", MAN, WOMAN, "2015-06-01")
    return fx


def test_r6_accepts_a_living_mother_a_father_and_their_marriage(family: Fixture) -> None:
    result = r.check_birth(_birth(), family.evidence)
    assert result.outcome is Outcome.MATCH
    assert {"mother.pin", "father.pin", "parents_married"} <= set(result.confirmed)


@pytest.mark.parametrize(
    ("died", "outcome"),
    [("2019-12-31", Outcome.MISMATCH), ("2020-05", Outcome.REVIEW), ("2021-02-01", Outcome.MATCH)],
)
def test_r6_a_deceased_mother_must_have_been_alive_at_the_birth(
    family: Fixture, died: str, outcome: Outcome
) -> None:
    family.citizen(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE", status="DECEASED",
                   date_of_death={"iso": died, "precision": "DAY" if len(died) == 10 else "MONTH"},
                   version="2")  # fmt: skip
    assert r.check_birth(_birth(), family.evidence).outcome is outcome


def test_r6_a_death_registered_in_civil_status_counts_too(family: Fixture) -> None:
    family.death(WOMAN, "2019")
    result = r.check_birth(_birth(), family.evidence)
    assert (result.outcome, result.findings) == (
        Outcome.MISMATCH,
        ("mother_deceased_before_birth",),
    )


def test_r6_a_declared_marriage_without_a_record_goes_to_review(fx: Fixture) -> None:
    fx.citizen(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    result = r.check_birth(_birth(), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.REVIEW, ("no_marriage_record",))


# -- R7 residence registration --------------------------------------------------------------
def test_r7_household_relationship_or_land_ownership(fx: Fixture) -> None:
    def reg(head: str) -> Any:
        return dossier("RESIDENCE_REGISTRATION", authority=_ward("25747"),
                       address={"raw": "Số 1", "code_system": "NEW_34", "province_code": "79",
                                "ward_code": "25747"},
                       household_id="74000000001", household_head_pin=head,
                       relationship_to_head="HEAD")  # fmt: skip

    assert r.check_residence(reg(MAN), fx.evidence).outcome is Outcome.MATCH
    stranger = r.check_residence(reg(WOMAN), fx.evidence)
    assert (stranger.outcome, stranger.findings) == (Outcome.REVIEW, ("request_documents",))
    fx.parcel("w3gwxz7wk9r3", [MAN])
    assert r.check_residence(reg(WOMAN), fx.evidence).outcome is Outcome.MATCH


# -- R8 business, R9 debts ------------------------------------------------------------------
def _business(**fields: Any) -> Any:
    founder = {**person().model_dump(), "share_percent": 100.0}
    return dossier("BUSINESS_REGISTRATION", enterprise_name="CÔNG TY TNHH AN PHÚ",
                   enterprise_type="LLC_ONE", founders=[founder],
                   legal_representatives=[person().model_dump()], **fields)  # fmt: skip


def test_r8_checks_the_code_and_bars_a_representative_serving_a_sentence(fx: Fixture) -> None:
    assert r.check_business(_business(), fx.evidence).outcome is Outcome.MATCH
    bad = r.check_business(_business(enterprise_code="0100047517"), fx.evidence)
    assert bad.findings == ("bad_check_digit",)
    fx.put("judicial", "judicial_record", MAN,
           {"pin": MAN, "record_status": "CONVICTED",
            "convictions": [{"execution_status": "SERVING"}]})  # fmt: skip
    barred = r.check_business(_business(), fx.evidence)
    assert (barred.outcome, barred.findings) == (Outcome.MISMATCH, ("representative_barred",))
    assert "SERVING" not in barred.reason


def test_r9_blocks_on_tax_debt_and_unpaid_land_obligations(fx: Fixture) -> None:
    assert r.check_debts(_business(), fx.evidence).outcome is Outcome.MATCH  # no account
    fx.tax(MAN, debt=12_500_000)
    result = r.check_debts(_business(), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.MISMATCH, ("tax_debt",))


# -- R10 land ---------------------------------------------------------------------------------
def _transfer(co_signers: list[DeclaredPerson]) -> Any:
    return dossier("LAND_TRANSFER", parcel_id="w3gwxz7wk9r3",
                   transferee=person(OLD, "Trần Văn Sơn", "1950").model_dump(),
                   co_signers=[p.model_dump() for p in co_signers])  # fmt: skip


def test_r10_a_married_transferor_needs_the_spouse_to_co_sign_common_property() -> None:
    f = Fixture()
    f.citizen(MAN, "Nguyễn Văn Hòa", "1985-03-07", "MALE", marital_status="MARRIED",
              spouse_pin=WOMAN)  # fmt: skip
    f.parcel("w3gwxz7wk9r3", [MAN, WOMAN])
    alone = r.check_land(_transfer([]), f.evidence)
    assert (alone.outcome, alone.findings) == (Outcome.MISMATCH, ("co_signature_missing",))
    spouse = person(WOMAN, "Lê Thị Mai", "1990-01-01", "FEMALE")
    assert r.check_land(_transfer([spouse]), f.evidence).outcome is Outcome.MATCH


@pytest.mark.parametrize(
    ("extra", "finding"),
    [
        ({"encumbrances": [{"kind": "DISPUTE"}]}, "parcel_encumbered"),
        ({"encumbrances": [{"kind": "SEIZURE"}, {"kind": "MORTGAGE"}]}, "parcel_encumbered"),
        ({"long_term": False, "term_until": date(2023, 1, 1)}, "term_expired"),
        ({"owner": WOMAN}, "not_owner"),
    ],
)
def test_r10_blocks(fx: Fixture, extra: dict[str, Any], finding: str) -> None:
    owner = extra.pop("owner", MAN)
    fx.parcel("w3gwxz7wk9r3", [owner], **extra)
    result = r.check_land(_transfer([]), fx.evidence)
    assert result.outcome is Outcome.MISMATCH
    assert finding in result.findings


def test_r10_a_mortgage_alone_is_noted_not_blocking(fx: Fixture) -> None:
    fx.parcel("w3gwxz7wk9r3", [MAN], encumbrances=[{"kind": "MORTGAGE"}])
    result = r.check_land(_transfer([]), fx.evidence)
    assert (result.outcome, result.findings) == (Outcome.MATCH, ("mortgage_registered",))


def test_r10_a_parcel_missing_from_the_register_is_inconclusive(fx: Fixture) -> None:
    assert r.check_land(_transfer([]), fx.evidence).outcome is Outcome.INCONCLUSIVE


# -- R11 judicial, R12 vehicles, R13 licences -----------------------------------------------
def test_r11_states_the_record_status_and_never_the_offence(fx: Fixture) -> None:
    assert r.check_judicial_record(_crc(), fx.evidence).findings == ("record_status:NO_RECORD",)
    fx.put("judicial", "judicial_record", MAN,
           {"pin": MAN, "record_status": "EXPUNGED",
            "convictions": [{"offence": "Trộm cắp tài sản"}]})  # fmt: skip
    result = r.check_judicial_record(_crc(), fx.evidence)
    assert result.outcome is Outcome.MATCH
    assert "EXPUNGED" in result.reason and "Trộm" not in result.reason


def test_r12_blocks_a_stolen_vehicle_or_another_owner(fx: Fixture) -> None:
    sale = dossier("VEHICLE_TRANSFER", plate="61A-123.45",
                   buyer=person(OLD, "Trần Văn Sơn", "1950").model_dump())  # fmt: skip
    fx.vehicle("61A-123.45", MAN)
    assert r.check_vehicle(sale, fx.evidence).outcome is Outcome.MATCH
    fx.vehicle("61A-123.45", MAN, stolen=True)  # same version: ignored
    fx.put("vehicles", "vehicle", "61A-123.45",
           {"plate": "61A-123.45", "owner_pin": WOMAN, "stolen": True,
            "registration_status": "REGISTERED"}, version="2")  # fmt: skip
    result = r.check_vehicle(sale, fx.evidence)
    assert set(result.findings) == {"not_owner", "vehicle_stolen"}


@pytest.mark.parametrize(
    ("holder", "status", "outcome", "finding"),
    [
        (MAN, "VALID", Outcome.MATCH, None),
        (None, "VALID", Outcome.REVIEW, "unlinkable"),
        (WOMAN, "VALID", Outcome.MISMATCH, "holder_mismatch"),
        (MAN, "SUSPENDED", Outcome.MISMATCH, "licence_suspended"),
    ],
)
def test_r13_licences(fx: Fixture, holder: str | None, status: str, outcome: Outcome,
                      finding: str | None) -> None:  # fmt: skip
    fx.licence("741209653806", holder, status)
    renewal = dossier("DRIVING_LICENCE_RENEWAL", licence_number="741209653806")
    result = r.check_licence(renewal, fx.evidence)
    assert result.outcome is outcome
    assert finding is None or finding in result.findings


def test_r13_without_a_number_uses_licences_linked_to_the_pin(fx: Fixture) -> None:
    renewal = dossier("DRIVING_LICENCE_RENEWAL")
    assert r.check_licence(renewal, fx.evidence).findings == ("no_linked_licence",)
    fx.licence("741209653806", MAN)
    assert r.check_licence(renewal, fx.evidence).outcome is Outcome.MATCH


# -- R14 freshness, R15 once-only -------------------------------------------------------------
def test_r14_fails_closed_on_stale_or_unavailable_mandatory_sources(fx: Fixture) -> None:
    at = datetime(2024, 1, 2, tzinfo=UTC)
    fx.put("residence", "residence", MAN, {"address": address("25747"), "status": "ACTIVE"},
           at=at - timedelta(days=5 * 365))  # fmt: skip
    results = [r.check_identity(person(), fx.evidence), r.check_jurisdiction(_crc(), fx.evidence)]
    fresh = r.check_freshness(results, fx.evidence, {"population"}, at)
    assert fresh.outcome is Outcome.MATCH
    stale = r.check_freshness(results, fx.evidence, {"population", "residence"}, at)
    assert (stale.outcome, stale.findings) == (Outcome.INCONCLUSIVE, ("stale:residence",))
    lenient = r.FreshnessPolicy(ttl={"residence": None})
    assert r.check_freshness(results, fx.evidence, {"residence"}, at, lenient).outcome \
        is Outcome.MATCH  # fmt: skip
    gone = r.check_freshness(results, fx.evidence, {"degrees"}, at)
    assert gone.findings == ("unavailable:degrees",)


def test_r15_lists_the_confirmed_declared_fields(fx: Fixture) -> None:
    result = r.check_once_only([r.check_identity(person(), fx.evidence)])
    assert result.outcome is Outcome.MATCH
    assert "applicant.full_name" in result.confirmed
