"""National Population Database connector (Ministry of Public Security), over a mock API."""

from __future__ import annotations

from typing import Any

from connectors.population.adapter import PopulationAdapter
from connectors.population.mapping import PopulationMapper
from connectors.population.mock import PopulationService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated population API from the connector's options."""
    parsed = MockSourceOptions.parse(options, "population")
    service = PopulationService(parsed.make_province(), parsed.make_faults())
    return PopulationAdapter(service, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="population",
    title="National Population Database",
    owner="Ministry of Public Security",
    interface="paged REST/JSON (page tokens, changed-since)",
    key_name="PIN (citizens), household id (households)",
    streams=(
        StreamSpec("citizens", ("citizen",), "People, changed since a compound cursor"),
        StreamSpec("households", ("household",), "Households and their members"),
    ),
    make_adapter=make_adapter,
    make_mapper=PopulationMapper,
    options_model=MockSourceOptions,
)
