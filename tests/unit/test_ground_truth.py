"""Every injected discrepancy in the manifest is visible in the sources' canonical data.

The sources are read directly (each connector's mock adapter and mapper, no Kafka) for one
synthetic province; then each manifest entry is looked up in the source that shows it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.connect.mock_options import shared_province
from hub.normalise.identifiers import pin_inconsistencies
from hub.normalise.names import NameComparison, compare_names
from hub.province import Province, ProvinceConfig
from hub.province.discrepancies import Discrepancy, DiscrepancyType
from tests.sources import canonical_records

T = DiscrepancyType
CONFIG = ProvinceConfig(seed=4242, citizens=2500, malformed_rate=0.0)
# Cards expired before the identity-card source's reference date count as invalid.
CARD_REFERENCE = date(2024, 1, 1)

Records = dict[tuple[str, str], dict[str, list[dict[str, Any]]]]


async def _read_everything() -> Records:
    """Canonical records per (source, entity) and key, from every connector, directly."""
    found: Records = defaultdict(lambda: defaultdict(list))
    options = {"province": CONFIG.model_dump(), "page_size": 500}
    async for name, record in canonical_records(options):
        if record.value is not None:
            found[(name, record.entity)][record.key].append(record.value)
    return found


@pytest.fixture(scope="module")
def records() -> Records:
    """Everything every source holds for the test province."""
    return asyncio.run(_read_everything())


def _one(records: Records, source: str, entity: str, key: str) -> dict[str, Any] | None:
    values = records[(source, entity)].get(key)
    return values[-1] if values else None


def _shown(entry: Discrepancy, records: Records) -> bool:
    pin = entry.subject
    citizen = _one(records, "population", "citizen", pin)
    card = _one(records, "identity_cards", "identity_card", pin)
    if entry.type in (T.NAME_DIACRITICS, T.NAME_MISMATCH):
        assert citizen is not None and card is not None
        expected = (
            NameComparison.DIACRITICS_ONLY
            if entry.type is T.NAME_DIACRITICS
            else NameComparison.MISMATCH
        )
        return compare_names(card["full_name"], citizen["full_name"]) is expected
    if entry.type is T.DOB_MISMATCH:
        assert citizen is not None and card is not None
        return bool(card["birth_date"] != citizen["birth_date"])
    if entry.type is T.SEX_MISMATCH:
        insured = _one(records, "health_insurance", "health_insurance_card", pin)
        assert citizen is not None and insured is not None
        return bool(insured["sex"] != citizen["sex"])
    if entry.type is T.PIN_INCONSISTENT:
        assert citizen is not None
        year = int(citizen["birth_date"]["iso"][:4])
        return bool(pin_inconsistencies(pin, birth_year=year, sex=citizen["sex"]))
    if entry.type is T.DECEASED_ELSEWHERE:
        assert citizen is not None
        death = _one(records, "civil_status", "death", pin)
        return death is not None and citizen["status"] == "ALIVE"
    if entry.type is T.MISSING_FROM_SOURCE:
        return _one(records, "residence", "residence", pin) is None
    if entry.type is T.STALE_RECORD:
        residence = _one(records, "residence", "residence", pin)
        assert residence is not None
        updated: datetime = residence["meta"]["updated_at"]
        return updated < datetime(2022, 1, 1, tzinfo=UTC)
    if entry.type in (T.ADDRESS_CODE_REUSE, T.SPLIT_WARD):
        assert citizen is not None
        address = citizen["permanent_address"]
        if entry.type is T.SPLIT_WARD:
            return bool(address["mapping"] == "AMBIGUOUS")
        return bool(address["code_system"] == "OLD_63") and (
            address["ward_code_2025"] != address["ward_code"]
        )
    return _shown_in_registers(entry, records)


def _shown_in_registers(entry: Discrepancy, records: Records) -> bool:
    pin = entry.subject
    if entry.type is T.TAX_DEBT:
        account = _one(records, "tax", "tax_account", pin)
        return account is not None and account["outstanding_debt_vnd"] > 0
    if entry.type is T.PARCEL_ENCUMBERED:
        return any(
            any(o["pin"] == pin for o in parcel["owners"])
            and any(e["kind"] in ("DISPUTE", "SEIZURE") for e in parcel["encumbrances"])
            for values in records[("land", "parcel")].values()
            for parcel in values[-1:]
        )
    if entry.type is T.VEHICLE_STOLEN:
        return any(
            vehicle["owner_pin"] == pin and vehicle["stolen"]
            for values in records[("vehicles", "vehicle")].values()
            for vehicle in values[-1:]
        )
    assert entry.type is T.ID_CARD_INVALID
    card = _one(records, "identity_cards", "identity_card", pin)
    assert card is not None
    expired = card["expiry_date"] is not None and card["expiry_date"] < CARD_REFERENCE
    return bool(card["status"] == "REVOKED" or expired)


def test_every_discrepancy_type_is_injected() -> None:
    kinds = {entry.type for entry in shared_province(CONFIG).manifest()}
    assert kinds == set(DiscrepancyType)


@pytest.mark.parametrize("kind", list(DiscrepancyType), ids=lambda k: k.value)
def test_each_manifest_entry_is_visible_in_its_source(
    kind: DiscrepancyType, records: Records
) -> None:
    entries = [e for e in shared_province(CONFIG).manifest() if e.type is kind]
    hidden = [e.index for e in entries if not _shown(e, records)]
    assert entries
    assert hidden == [], f"{len(hidden)} of {len(entries)} {kind.value} entries are not visible"


def test_people_without_discrepancies_look_clean(records: Records) -> None:
    province = shared_province(CONFIG)
    clean = [i for i in range(0, CONFIG.citizens, 7) if province.discrepancy_of(i) is None]
    checks: list[Callable[[str], bool]] = [
        lambda pin: _one(records, "residence", "residence", pin) is not None,
        lambda pin: (
            not any(
                v[-1]["owner_pin"] == pin and v[-1]["stolen"]
                for v in records[("vehicles", "vehicle")].values()
            )
        ),
    ]
    population = province.population
    for index in clean:
        person = population.person(index)
        if person.status != "ALIVE":
            continue
        for check in checks:
            assert check(person.pin), f"person {index} shows a discrepancy never injected"


def test_same_seed_same_manifest() -> None:
    config = ProvinceConfig(seed=99, citizens=1500)
    first = [e.to_json() for e in Province(config).manifest()]
    assert first == [e.to_json() for e in Province(config).manifest()]
    assert first != [
        e.to_json() for e in Province(config.model_copy(update={"seed": 98})).manifest()
    ]


def test_manifest_command_writes_the_entries(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli.main", "province", "manifest", "--citizens", "800",
         "--output", str(target), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    written = json.loads(target.read_text())
    assert summary["total"] == len(written["discrepancies"]) > 0
    assert not any(e["subject"] in result.stdout for e in written["discrepancies"])
