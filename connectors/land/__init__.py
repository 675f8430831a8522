"""Land connector (Ministry of Agriculture and Environment; provincial land office), SOAP."""

from __future__ import annotations

from typing import Any

from connectors.land.adapter import LandAdapter
from connectors.land.mapping import LandMapper
from connectors.land.mock import LandService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated land service from the connector's options."""
    parsed = MockSourceOptions.parse(options, "land")
    service = LandService(parsed.make_province(), parsed.make_faults())
    return LandAdapter(service, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="land",
    title="Land information system",
    owner="Ministry of Agriculture and Environment; provincial land registration office",
    interface="SOAP 1.1/XML (continuation tokens, changed-since timestamp)",
    key_name="parcel id (12-character GeoHash; legacy map sheet + parcel number as alias)",
    streams=(StreamSpec("parcels", ("parcel",), "Parcels changed since a compound cursor"),),
    make_adapter=make_adapter,
    make_mapper=LandMapper,
)
