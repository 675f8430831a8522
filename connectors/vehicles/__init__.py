"""Vehicle registration connector (traffic police, Ministry of Public Security), over SQL."""

from __future__ import annotations

from typing import Any

from connectors.vehicles.adapter import vehicles_adapter
from connectors.vehicles.mapping import VehicleMapper
from connectors.vehicles.mock import VehicleRegisterDb
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated vehicle register from the connector's options."""
    parsed = MockSourceOptions.parse(options, "vehicles")
    db = VehicleRegisterDb(parsed.make_province(), parsed.make_faults())
    return vehicles_adapter(db, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="vehicles",
    title="Vehicle registration register",
    owner="Ministry of Public Security (traffic police)",
    interface="SQL polling (updated_at, key) with a commit-grace window",
    key_name="plate",
    streams=(StreamSpec("registrations", ("vehicle",), "Registered vehicles"),),
    make_adapter=make_adapter,
    make_mapper=VehicleMapper,
)
