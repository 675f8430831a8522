"""Judicial Records connector (Justice / Public Security [verify]), over a mock SOAP feed.

Judicial records are sensitive personal data: they are shared only for the procedures
that need them (criminal-record certificates, barred managers) and looked up by PIN.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from connectors.judicial.adapter import JudicialAdapter
from connectors.judicial.mapping import JudicialMapper
from connectors.judicial.mock import JudicialService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions
from hub.province.judicial import RECORD_SHARE


class JudicialOptions(MockSourceOptions):
    """Options of the mock judicial source: the shared ones plus the share of holders."""

    record_share: float = Field(
        RECORD_SHARE, gt=0, le=1, description="Share of adults with a judicial record."
    )


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated judicial-records feed from the options."""
    parsed = JudicialOptions.parse(options, "judicial")
    assert isinstance(parsed, JudicialOptions)
    service = JudicialService(
        parsed.make_province(), parsed.make_faults(), record_share=parsed.record_share
    )
    return JudicialAdapter(service, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="judicial",
    title="Judicial Records database",
    owner="Ministry of Justice / Ministry of Public Security [verify]",
    interface="SOAP 1.1/XML (change log, last-id cursor)",
    key_name="PIN",
    streams=(StreamSpec("records", ("judicial_record",), "Records in change-log order"),),
    make_adapter=make_adapter,
    make_mapper=JudicialMapper,
    options_doc={"record_share": "Share of adults with a judicial record (default 0.02)."},
    options_model=JudicialOptions,
)
