"""Identity-card database connector (Ministry of Public Security), over a mock SOAP service."""

from __future__ import annotations

from typing import Any

from connectors.identity_cards.adapter import IdentityCardAdapter
from connectors.identity_cards.mapping import IdentityCardMapper
from connectors.identity_cards.mock import IdentityCardService
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated identity-card service from the options."""
    parsed = MockSourceOptions.parse(options, "identity_cards")
    service = IdentityCardService(parsed.make_province(), parsed.make_faults())
    return IdentityCardAdapter(service, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="identity_cards",
    title="Identity-card database",
    owner="Ministry of Public Security",
    interface="SOAP 1.1/XML (page numbers, changed-since timestamp)",
    key_name="PIN (the CCCD card number equals it)",
    streams=(StreamSpec("cards", ("identity_card",), "Cards changed since a compound cursor"),),
    make_adapter=make_adapter,
    make_mapper=IdentityCardMapper,
)
