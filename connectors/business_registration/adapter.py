"""The business-registration connector's adapter: offset/limit paging with ``modifiedSince``.

Cursor: ``{"modified": <ngayCapNhat of the last record>, "code": <its maSoDoanhNghiep>,
"since": <the modifiedSince of the running query>, "offset": <items of that query read>,
"anchor": <(ngayCapNhat, maSoDoanhNghiep) of the item at offset - 1>}``.

Offset paging is only trusted while the answer set has not shifted: each continuation
asks from ``offset - 1`` and checks that the first item is the anchor. If
it is not (records changed since and moved to the end of the order), the adapter
re-anchors: it queries ``modifiedSince = modified`` from offset 0 and skips items at or
before ``(modified, code)``. Records sharing a timestamp are thus neither lost nor
repeated, whether the sync continues, resumes after a restart, or runs incrementally.
"""

from __future__ import annotations

from typing import Any

import orjson

from connectors.business_registration.mock import PATH, RegistryService
from hub.connect.contract import SourceAdapter
from hub.connect.http_status import raise_for_status
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import RetriableSourceError
from hub.province.transport import SimulatedTimeout


def _key(item: Any) -> tuple[str, str]:
    if not isinstance(item, dict):
        return ("", "")
    return (str(item.get("ngayCapNhat", "")), str(item.get("maSoDoanhNghiep", "")))


class BusinessRegistrationAdapter(SourceAdapter):
    """Reads enterprises changed since a compound cursor, page by page.

    Args:
        service: the (simulated) registry API.
        page_size: records per request (the registry caps it at 20).
    """

    def __init__(self, service: RegistryService, page_size: int = 20) -> None:
        self.service = service
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of enterprises after ``cursor``."""
        size = max(1, min(limit, self.page_size))
        cursor = cursor or {}
        last = (str(cursor.get("modified", "")), str(cursor.get("code", "")))
        since, offset = cursor.get("since"), int(cursor.get("offset", 0))
        items: list[Any] | None = None
        if since is not None and offset > 0:
            total, page = await self._call(str(since), offset - 1, size + 1)
            if page and list(_key(page[0])) == cursor.get("anchor"):
                items = page[1:]
        if items is None:  # a fresh or re-anchored query
            since, offset = last[0], 0
            total, items = await self._call(since, 0, size)
        records: list[NativeRecord] = []
        newest = last
        for n, item in enumerate(items):
            if offset == 0 and _key(item) <= last:
                continue  # seen before the re-anchor
            records.append(NativeRecord(item, position=f"enterprises@offset {offset + n}"))
            newest = _key(item)
        offset += len(items)
        if not items:
            return Page([], dict(cursor), has_more=False)
        new_cursor = {
            "modified": newest[0],
            "code": newest[1],
            "since": since,
            "offset": offset,
            "anchor": list(_key(items[-1])),
        }
        return Page(records, new_cursor, has_more=offset < total)

    async def _call(self, since: str, offset: int, limit: int) -> tuple[int, list[Any]]:
        params = {"offset": str(offset), "limit": str(limit)}
        if since:
            params["modifiedSince"] = since
        try:
            response = await self.service.get(PATH, params)
        except SimulatedTimeout as exc:
            raise RetriableSourceError("timeout calling the registry") from exc
        raise_for_status(response, "registry")
        try:
            body = orjson.loads(response.body)
            return int(body["total"]), list(body["items"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise RetriableSourceError(f"truncated or malformed registry answer: {exc}") from exc
