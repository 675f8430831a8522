"""Kafka header names carried by every canonical record and dead letter (DESIGN decision 5).

``hub.signature``, ``hub.key_id`` and ``hub.signature_path`` are reserved for signed records.
"""

from __future__ import annotations

MESSAGE_ID = "hub.message_id"
SOURCE = "hub.source"
SCHEMA = "hub.schema"
EXTRACTED_AT = "hub.extracted_at"
SOURCE_VERSION = "hub.source_version"
SOURCE_UPDATED_AT = "hub.source_updated_at"
CORRELATION_ID = "hub.correlation_id"
SIGNATURE = "hub.signature"
KEY_ID = "hub.key_id"
SIGNATURE_PATH = "hub.signature_path"
# dead letters
ERROR = "hub.error"
ERROR_CLASS = "hub.error_class"
STAGE = "hub.stage"
CURSOR = "hub.cursor"
STREAM = "hub.stream"
POSITION = "hub.position"
# records a consumer refused (dead-lettered with hub.error, hub.error_class, hub.stage)
ORIGINAL_TOPIC = "hub.original_topic"
ORIGINAL_PARTITION = "hub.original_partition"
ORIGINAL_OFFSET = "hub.original_offset"


def as_dict(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> dict[str, str]:
    """Decode Kafka headers into a dict of strings (last value wins)."""
    return {name: value.decode("utf-8", "replace") for name, value in headers}
