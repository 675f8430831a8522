"""Pages cross to the encoding workers unchanged, whichever way their payloads travel."""

from __future__ import annotations

from typing import Any

import pytest

from hub.connect.page_crossing import pack_page, unpack_page
from hub.connect.records import NativeRecord

_JSON_ROWS: list[Any] = [
    {"soDinhDanh": "001099012345", "hoVaTen": "Nguyễn Văn An", "tuoi": 27, "diem": 8.5},
    {"thanhVien": [{"soDinhDanh": "001199054321"}], "ghiChu": None, "hoatDong": True},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("json_payloads", [False, True])
def test_json_rows_cross_unchanged(json_payloads: bool) -> None:
    records = [
        NativeRecord(row, raw=b"raw" if n == 1 else None, position=f"citizens@p#{n}")
        for n, row in enumerate(_JSON_ROWS)
    ]
    assert unpack_page(pack_page(records, json_payloads)) == records


def test_payloads_that_json_would_change_are_pickled() -> None:
    """An adapter that says JSON but hands over something JSON cannot carry exactly (an
    integer beyond 64 bits) still gets its payloads across unchanged."""
    records = [NativeRecord({"n": 2**70}, position="p#0"), NativeRecord({"n": 1}, position="p#1")]
    assert unpack_page(pack_page(records, json_payloads=True)) == records


def test_non_json_payloads_of_other_adapters_keep_their_types() -> None:
    records = [NativeRecord({"when": (2025, 7, 1), "raw": b"\x00\x01"}, position="row 1")]
    assert unpack_page(pack_page(records, json_payloads=False)) == records


def test_a_payload_that_cannot_be_pickled_is_refused() -> None:
    with pytest.raises((TypeError, AttributeError)):
        pack_page([NativeRecord({"hook": lambda: None})], json_payloads=False)
