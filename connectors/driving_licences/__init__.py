"""Driving-licence connector (Public Security from 2025), over daily CSV exports."""

from __future__ import annotations

from typing import Any

from connectors.driving_licences.adapter import DrivingLicencesAdapter
from connectors.driving_licences.mapping import DrivingLicencesMapper
from connectors.driving_licences.mock import make_service
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.csv_exports import ServedDirectory
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over the simulated licence drop from the connector's options."""
    parsed = MockSourceOptions.parse(options, "driving_licences")
    service = make_service(parsed.make_province(), parsed.make_faults())
    return DrivingLicencesAdapter(ServedDirectory(service), page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="driving_licences",
    title="Driving licence database",
    owner="Ministry of Public Security",
    interface="daily CSV exports in a drop directory (| delimited, cp1252, yyyymmdd)",
    key_name="licence number (12 digits)",
    streams=(StreamSpec("licences", ("driving_licence",), "Licences, day file by day file"),),
    make_adapter=make_adapter,
    make_mapper=DrivingLicencesMapper,
)
