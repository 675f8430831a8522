"""Degrees and certificates connector (Ministry of Education and Training), over a mock API."""

from __future__ import annotations

from typing import Any

from connectors.degrees.adapter import DegreesAdapter
from connectors.degrees.mapping import DegreesMapper
from connectors.degrees.mock import MAX_PAGE_SIZE, DegreeService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated degree-register API from the connector's options."""
    parsed = MockSourceOptions.parse(options, "degrees")
    service = DegreeService(parsed.make_province(), parsed.make_faults())
    return DegreesAdapter(service, page_size=min(parsed.page_size, MAX_PAGE_SIZE))


CONNECTOR = ConnectorSpec(
    name="degrees",
    title="Degrees and certificates register",
    owner="Ministry of Education and Training",
    interface="REST/JSON (cursor-based next links, updated_after in epoch ms)",
    key_name="institution code + degree number ('<institution>:<number>')",
    streams=(StreamSpec("degrees", ("degree",), "Degrees and certificates, changed since"),),
    make_adapter=make_adapter,
    make_mapper=DegreesMapper,
)
