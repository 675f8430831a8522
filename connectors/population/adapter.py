"""The population connector's adapter: pages through the population API's JSON answers."""

from __future__ import annotations

from typing import Any

import msgspec

from connectors.population.mock import PopulationService
from hub.connect.contract import SourceAdapter
from hub.connect.http_status import raise_for_status
from hub.connect.json_rows import JsonRows
from hub.connect.records import Cursor, Page
from hub.errors import RetriableSourceError
from hub.province.transport import SimulatedTimeout

PATHS = {"citizens": "/api/v1/congdan", "households": "/api/v1/hogiadinh"}
KEY_FIELD = {"citizens": "soDinhDanh", "households": "maHoGiaDinh"}
#: Where an answer holds its rows: ``{"duLieu": {"danhSach": [...], "maTrangTiep": ...}}``.
ROWS_PATH = ("duLieu", "danhSach")


class _RowKeys(msgspec.Struct):
    """The fields of a row that page the stream; the decoder skips all others unparsed."""

    ngayCapNhat: Any = None
    soDinhDanh: Any = None
    maHoGiaDinh: Any = None


class _Listing(msgspec.Struct):
    danhSach: list[_RowKeys]
    maTrangTiep: Any = None


class _Answer(msgspec.Struct):
    duLieu: _Listing


class _RawListing(msgspec.Struct):
    danhSach: list[msgspec.Raw]
    maTrangTiep: msgspec.Raw | None = None


class _RawAnswer(msgspec.Struct):
    duLieu: _RawListing


_ANSWER = msgspec.json.Decoder(_Answer)
#: The same answer, each row and the token left as raw JSON (checked, not decoded).
_RAW_ANSWER = msgspec.json.Decoder(_RawAnswer)
_ROW_KEYS = msgspec.json.Decoder(_RowKeys)

#: A row's (ngayCapNhat, key) as sent, whatever their types.
RowKeys = list[tuple[Any, Any]]


def _positioned(stamp: object, key: object) -> bool:
    """Whether a row's (ngayCapNhat, key) can place a cursor: both non-empty text."""
    return isinstance(stamp, str) and isinstance(key, str) and bool(stamp) and bool(key)


class PopulationAdapter(SourceAdapter):
    """Reads citizens and households changed since a compound cursor.

    The cursor is ``{"updated_at": <ngayCapNhat of the last record>, "key": <its id>}``.
    Within one sync the service's page token is followed; on resume the adapter asks for
    records changed since ``updated_at`` and skips those at or before ``(updated_at, key)``,
    so records sharing a timestamp are neither lost nor repeated. The service orders by the
    values it serves, a garbled PIN included. A row without a text timestamp or key (which
    the mapper rejects) cannot be placed: it does not move the cursor and is never
    skipped, so a later sync from a cursor before it serves it again.

    Only the paging fields are decoded here; the page's records are the answer's rows,
    parsed where they are encoded (:class:`~hub.connect.json_rows.JsonRows`).

    Args:
        service: the (simulated) population API.
        page_size: records per request (the service caps it at 500).
    """

    def __init__(self, service: PopulationService, page_size: int = 500) -> None:
        self.service = service
        self.page_size = page_size
        self._tokens: dict[tuple[str, str, str], str] = {}

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of ``stream`` after ``cursor``."""
        position = (str(cursor["updated_at"]), str(cursor["key"])) if cursor else ("", "")
        params = {"kichThuocTrang": str(min(limit, self.page_size))}
        token = self._tokens.pop((stream, *position), None)
        if token:
            params["maTrang"] = token
        elif position[0]:
            params["tuThoiDiem"] = position[0]
        body = await self._call(PATHS[stream], params)
        rows, next_token = _row_keys(body, KEY_FIELD[stream], PATHS[stream])
        kept: list[int] = []
        last = position
        for n, (stamp, key) in enumerate(rows):
            if _positioned(stamp, key):
                row_position = (stamp, key)
                if row_position <= position:
                    continue
                last = max(last, row_position)
            kept.append(n)
        if next_token:
            self._tokens[(stream, *last)] = str(next_token)
        return Page(
            JsonRows(body, ROWS_PATH, kept, f"{stream}@{position[0]}#"),
            {"updated_at": last[0], "key": last[1]} if last[0] else dict(cursor or {}),
            has_more=bool(next_token),
        )

    async def _call(self, path: str, params: dict[str, str]) -> bytes:
        try:
            response = await self.service.get(path, params)
        except SimulatedTimeout as exc:
            raise RetriableSourceError(f"timeout calling {path}") from exc
        raise_for_status(response, path)
        return response.body


def _row_keys(body: bytes, key_field: str, path: str) -> tuple[RowKeys, Any]:
    """Each row's (ngayCapNhat, key) and the next page's token, from an answer's bytes.

    Raises:
        RetriableSourceError: the answer is not JSON (truncated, not UTF-8, nested too
            deep) or holds no row list.
    """
    try:
        body.decode()  # the typed decoders check only the fields they read
        try:
            answer = _ANSWER.decode(body)
        except msgspec.ValidationError:  # a row that is not an object, an odd value...
            return _row_keys_row_by_row(_RAW_ANSWER.decode(body), key_field)
    except msgspec.ValidationError as exc:
        raise RetriableSourceError(f"malformed answer from {path}: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep
        raise RetriableSourceError(f"truncated or corrupt answer from {path}: {exc}") from exc
    listing = answer.duLieu
    return [(r.ngayCapNhat, getattr(r, key_field)) for r in listing.danhSach], listing.maTrangTiep


def _row_keys_row_by_row(answer: _RawAnswer, key_field: str) -> tuple[RowKeys, Any]:
    """:func:`_row_keys` of an answer the typed decoder refused, one row at a time (the
    same decoder's checks, so the same answers are refused whatever their rows' order):
    a row it cannot place (not an object, a key beyond a double) pages as one without
    keys, which the mapper then rejects.

    Raises:
        msgspec.ValidationError: the next page's token is out of a double's range.
    """
    keys: RowKeys = []
    for raw in answer.duLieu.danhSach:
        try:
            row = _ROW_KEYS.decode(raw)
        except msgspec.ValidationError:
            keys.append((None, None))
        else:
            keys.append((row.ngayCapNhat, getattr(row, key_field)))
    token = answer.duLieu.maTrangTiep
    return keys, (msgspec.json.decode(token) if token is not None else None)
