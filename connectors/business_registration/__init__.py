"""National Business Registration connector (Ministry of Finance), over a mock REST API."""

from __future__ import annotations

from typing import Any

from connectors.business_registration.adapter import BusinessRegistrationAdapter
from connectors.business_registration.mapping import BusinessRegistrationMapper
from connectors.business_registration.mock import MAX_LIMIT, RegistryService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated registry API from the connector's options."""
    parsed = MockSourceOptions.parse(options, "business_registration")
    service = RegistryService(parsed.make_province(), parsed.make_faults())
    return BusinessRegistrationAdapter(service, page_size=min(parsed.page_size, MAX_LIMIT))


CONNECTOR = ConnectorSpec(
    name="business_registration",
    title="National Business Registration System",
    owner="Ministry of Finance",
    interface="paged REST/JSON (offset/limit, modifiedSince)",
    key_name="enterprise code (10-digit tax code, MST)",
    streams=(StreamSpec("enterprises", ("enterprise",), "Enterprises, changed since a cursor"),),
    make_adapter=make_adapter,
    make_mapper=BusinessRegistrationMapper,
)
