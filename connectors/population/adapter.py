"""The population connector's adapter: pages through the population API's JSON answers."""

from __future__ import annotations

from typing import Any

import orjson

from connectors.population.mock import PopulationService
from hub.connect.contract import SourceAdapter
from hub.connect.http_status import raise_for_status
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import RetriableSourceError
from hub.province.transport import SimulatedTimeout

PATHS = {"citizens": "/api/v1/congdan", "households": "/api/v1/hogiadinh"}
KEY_FIELD = {"citizens": "soDinhDanh", "households": "maHoGiaDinh"}


def _usable_key(value: object) -> bool:
    """Whether ``value`` can be a cursor key: PINs and household ids are ASCII digits."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


class PopulationAdapter(SourceAdapter):
    """Reads citizens and households changed since a compound cursor.

    The cursor is ``{"updated_at": <ngayCapNhat of the last record>, "key": <its id>}``.
    Within one sync the service's page token is followed; on resume the adapter asks for
    records changed since ``updated_at`` and skips those at or before ``(updated_at, key)``,
    so records sharing a timestamp are neither lost nor repeated. A record whose key is
    garbled (a PIN with a letter in it) does not move the cursor and is never skipped: the
    service placed it by its true key, so a cursor taken from the garbled one would skip
    the records after it that share its timestamp. After a restart it may come again, as
    a duplicate dead letter.

    Args:
        service: the (simulated) population API.
        page_size: records per request (the service caps it at 500).
    """

    json_payloads = True  # the rows as orjson parsed them

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
        data = body.get("duLieu") or {}
        rows = data.get("danhSach")
        if not isinstance(rows, list):
            raise RetriableSourceError("truncated or malformed answer: no duLieu.danhSach")
        records: list[NativeRecord] = []
        last = position
        key_field = KEY_FIELD[stream]
        for n, row in enumerate(rows):
            stamp, key = row.get("ngayCapNhat"), row.get(key_field)
            if isinstance(stamp, str) and stamp and _usable_key(key):
                row_position = (stamp, str(key))
                if row_position <= position:
                    continue
                last = max(last, row_position)
            records.append(NativeRecord(row, position=f"{stream}@{position[0]}#{n}"))
        next_token = data.get("maTrangTiep")
        if next_token:
            self._tokens[(stream, *last)] = str(next_token)
        return Page(
            records,
            {"updated_at": last[0], "key": last[1]} if last[0] else dict(cursor or {}),
            has_more=bool(next_token),
        )

    async def _call(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self.service.get(path, params)
        except SimulatedTimeout as exc:
            raise RetriableSourceError(f"timeout calling {path}") from exc
        raise_for_status(response, path)
        try:
            body: dict[str, Any] = orjson.loads(response.body)
        except orjson.JSONDecodeError as exc:
            raise RetriableSourceError(f"truncated answer from {path}: {exc}") from exc
        return body
