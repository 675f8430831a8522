"""Residence Database connector (Ministry of Public Security), over a polled SQL table."""

from __future__ import annotations

from typing import Any

from connectors.residence.adapter import residence_adapter
from connectors.residence.mapping import ResidenceMapper
from connectors.residence.mock import ResidenceDb
from hub.connect.contract import ConnectorSpec, SourceAdapter, StreamSpec
from hub.connect.mock_options import MockSourceOptions


def make_adapter(options: dict[str, Any]) -> SourceAdapter:
    """Build the adapter over a simulated Residence Database from the connector's options."""
    parsed = MockSourceOptions.parse(options, "residence")
    db = ResidenceDb(parsed.make_province(), parsed.make_faults())
    return residence_adapter(db, page_size=parsed.page_size)


CONNECTOR = ConnectorSpec(
    name="residence",
    title="Residence Database",
    owner="Ministry of Public Security",
    interface="SQL polling (updated_at, key) with a commit-grace window",
    key_name="PIN",
    streams=(
        StreamSpec(
            "registrations",
            ("residence",),
            "Residence registrations; a person's current one (or the last, if cancelled)",
        ),
    ),
    make_adapter=make_adapter,
    make_mapper=ResidenceMapper,
)
