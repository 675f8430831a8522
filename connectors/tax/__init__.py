"""Tax administration connector (Ministry of Finance), over daily CSV exports."""

from __future__ import annotations

from typing import Any

from connectors.tax.adapter import TaxAdapter
from connectors.tax.mapping import TaxMapper
from connectors.tax.mock import make_service
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.csv_exports import ServedDirectory
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over the simulated tax drop from the connector's options."""
    parsed = MockSourceOptions.parse(options, "tax")
    service = make_service(parsed.make_province(), parsed.make_faults())
    return TaxAdapter(ServedDirectory(service), page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="tax",
    title="Tax administration database",
    owner="Ministry of Finance",
    interface="daily CSV exports in a drop directory (; delimited, UTF-8 with BOM, dd/mm/yyyy)",
    key_name="tax code: enterprise code (MST) or, for individuals, the PIN",
    streams=(StreamSpec("taxpayers", ("tax_account",), "Taxpayer accounts, day file by day file"),),
    make_adapter=make_adapter,
    make_mapper=TaxMapper,
)
