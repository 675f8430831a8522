"""Social-insurance connector (Vietnam Social Security), over daily CSV exports."""

from __future__ import annotations

from typing import Any

from connectors.social_insurance.adapter import SocialInsuranceAdapter
from connectors.social_insurance.mapping import SocialInsuranceMapper
from connectors.social_insurance.mock import make_service
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.csv_exports import ServedDirectory
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over the simulated agency drop from the connector's options."""
    parsed = MockSourceOptions.parse(options, "social_insurance")
    service = make_service(parsed.make_province(), parsed.make_faults())
    return SocialInsuranceAdapter(ServedDirectory(service), page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="social_insurance",
    title="Social insurance database",
    owner="Vietnam Social Security",
    interface="daily CSV exports in a drop directory (comma delimited, UTF-8, ISO dates)",
    key_name="PIN; the 10-digit social-insurance code for legacy rows without PIN",
    streams=(
        StreamSpec("participants", ("social_insurance",), "Participants, day file by day file"),
    ),
    make_adapter=make_adapter,
    make_mapper=SocialInsuranceMapper,
)
