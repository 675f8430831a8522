"""Health-insurance connector (Vietnam Social Security), over a polled SQL table."""

from __future__ import annotations

from typing import Any

from connectors.health_insurance.adapter import health_insurance_adapter
from connectors.health_insurance.mapping import HealthInsuranceMapper
from connectors.health_insurance.mock import HealthInsuranceDb
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated card register from the connector's options."""
    parsed = MockSourceOptions.parse(options, "health_insurance")
    db = HealthInsuranceDb(parsed.make_province(), parsed.make_faults())
    return health_insurance_adapter(db, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="health_insurance",
    title="Health insurance card register",
    owner="Vietnam Social Security",
    interface="SQL polling (updated_at, key) with a commit-grace window",
    key_name="PIN (card code and social-insurance code carried)",
    streams=(StreamSpec("cards", ("health_insurance_card",), "Health-insurance cards"),),
    make_adapter=make_adapter,
    make_mapper=HealthInsuranceMapper,
)
