"""Pages cross to the encoding workers unchanged, as JSON answers' bytes or pickled."""

from __future__ import annotations

import json
import pickle
from datetime import date
from typing import Any

import orjson
import pytest

from hub.connect.json_rows import JsonRows, decode_json
from hub.connect.page_crossing import pack_page, unpack_page
from hub.connect.records import NativeRecord

_ROWS: list[Any] = [
    {"soDinhDanh": "001099012345", "hoVaTen": "Nguyễn Văn An", "tuoi": 27, "diem": 8.5},
    {"thanhVien": [{"soDinhDanh": "001199054321"}], "ghiChu": None, "hoatDong": True},
    ["not", "an", "object"],
    {"tong": 2**63 - 1, "am": -0.0, "lon": 2**70},
]
_BODY = orjson.dumps({"maKetQua": "00", "duLieu": {"danhSach": _ROWS[:3]}})[:-3] + (
    b',{"tong":9223372036854775807,"am":-0.0,"lon":1180591620717411303424}]}}'
)


def _json_rows(kept: list[int]) -> JsonRows:
    return JsonRows(_BODY, ("duLieu", "danhSach"), kept, "citizens@2025-07-01#")


def test_json_rows_parse_on_first_use_into_the_kept_rows_with_positions() -> None:
    rows = _json_rows([0, 2, 3])
    assert len(rows) == 3
    assert rows._records is None  # nothing parsed yet
    assert [r.payload for r in rows] == [_ROWS[0], _ROWS[2], _ROWS[3]]
    assert [r.position for r in rows] == [f"citizens@2025-07-01#{i}" for i in (0, 2, 3)]
    assert rows[1].raw is None and rows[-1].payload["lon"] == 2**70
    assert rows.records() is rows.records()  # parsed once


def test_json_rows_cross_as_the_answers_bytes_and_arrive_parsed() -> None:
    rows = _json_rows([1, 3])
    rows.records()  # parsed here already: still only the bytes travel
    page = pack_page(rows)
    crossing = pickle.loads(page)
    assert isinstance(crossing, JsonRows) and crossing._records is None
    assert crossing.body == _BODY
    assert unpack_page(page) == rows.records()


def test_decode_json_takes_what_orjson_refuses_and_json_allows() -> None:
    assert decode_json(b'{"n": 1180591620717411303424}') == {"n": 2**70}
    assert decode_json(b'{"x": 1e400}') == {"x": float("inf")}
    assert decode_json(b'{"s": "\\ud800"}') == {"s": "\ud800"}
    for not_json in (b'{"n": 1', b'{"s": "\xff"}'):
        with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
            decode_json(not_json)


def test_json_rows_of_nothing_parse_nothing() -> None:
    rows = JsonRows(b"not even JSON", ("duLieu", "danhSach"), [], "citizens@#")
    assert len(rows) == 0 and list(rows) == [] and rows == []
    assert "0 rows" in repr(rows)


def test_json_rows_behave_as_a_list_of_their_records() -> None:
    rows = _json_rows([0, 1, 2])
    records = rows.records()
    assert rows == records and rows == _json_rows([0, 1, 2]) and rows != _json_rows([0, 1])
    assert rows[1:] == records[1:] and rows[-1] is records[-1]
    assert pickle.loads(pickle.dumps(rows)) == records


def test_other_pages_are_pickled_and_keep_their_types() -> None:
    records = [
        NativeRecord({"when": (2025, 7, 1), "raw": b"\x00\x01"}, position="row 1"),
        NativeRecord({"on": date(2025, 7, 1)}, raw=b"raw", position="row 2"),
    ]
    assert unpack_page(pack_page(records)) == records


def test_a_payload_that_cannot_be_pickled_is_refused() -> None:
    with pytest.raises((TypeError, AttributeError)):
        pack_page([NativeRecord({"hook": lambda: None})])
