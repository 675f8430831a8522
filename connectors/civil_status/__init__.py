"""Civil-status e-registry connector (Ministry of Justice), over a mock API."""

from __future__ import annotations

from typing import Any

from connectors.civil_status.adapter import CivilStatusAdapter
from connectors.civil_status.mapping import CivilStatusMapper
from connectors.civil_status.mock import MAX_LIMIT, CivilStatusService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated e-registry API from the connector's options."""
    parsed = MockSourceOptions.parse(options, "civil_status")
    service = CivilStatusService(parsed.make_province(), parsed.make_faults())
    return CivilStatusAdapter(service, page_size=min(parsed.page_size, MAX_LIMIT))


CONNECTOR = ConnectorSpec(
    name="civil_status",
    title="Civil-status e-registry",
    owner="Ministry of Justice",
    interface="paged REST/JSON (offset/limit, since timestamp, one typed change feed)",
    key_name="child's PIN (births), deceased's PIN (deaths), registration number (marriages)",
    streams=(
        StreamSpec(
            "registrations",
            ("birth", "death", "marriage"),
            "Births, deaths and marriages in order of entry",
        ),
    ),
    make_adapter=make_adapter,
    make_mapper=CivilStatusMapper,
)
