"""The degrees connector's adapter: follows the register's ``next`` links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectors.degrees.mock import PATH, DegreeService
from hub.connect.contract import SourceAdapter
from hub.connect.http_status import get_json_object
from hub.connect.records import Cursor, NativeRecord, Page
from hub.errors import RetriableSourceError


class DegreesAdapter(SourceAdapter):
    """Reads degrees changed since a compound cursor, following ``next`` links.

    The cursor is ``{"updated_at_ms": <ThoiGianCapNhat of the last item>, "key":
    "<MaTruong>:<SoHieuVanBang>"}``. Within one sync the ``next`` link of the previous
    page is followed (remembered per cursor, in memory only: links are not meant to
    outlive a session). Otherwise, and after a restart, the adapter asks for
    ``updated_after = updated_at_ms - 1`` (the service's bound is strict) and skips items
    at or before ``(updated_at_ms, key)``, so items sharing a timestamp are neither lost
    nor repeated.

    Args:
        service: the (simulated) degree register API.
        page_size: items per request (the service caps it at 250).
    """

    def __init__(self, service: DegreeService, page_size: int = 250) -> None:
        self.service = service
        self.page_size = page_size
        self._next: dict[tuple[int, str], str] = {}

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of degrees after ``cursor``."""
        position = (int(cursor["updated_at_ms"]), str(cursor["key"])) if cursor else (-1, "")
        size = str(min(limit, self.page_size))
        link = self._next.get(position)
        if link:
            params = dict(parse_qsl(urlsplit(link).query))
            params["page_size"] = size
        else:
            params = {"page_size": size}
            if cursor:
                params["updated_after"] = str(position[0] - 1)
        body = await get_json_object(self.service, PATH, params)
        items, links = body.get("items"), body.get("links")
        if not isinstance(items, list) or not isinstance(links, dict):
            raise RetriableSourceError("malformed answer: no items or links")
        records: list[NativeRecord] = []
        last = position
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise RetriableSourceError("malformed answer: an item is not an object")
            item_position = (_int(item.get("ThoiGianCapNhat")), _key(item))
            if item_position <= position:
                continue
            records.append(NativeRecord(item, position=f"{stream}@{position[0]}#{n}"))
            last = max(last, item_position)
        self._next.clear()
        next_link = links.get("next")
        if next_link:
            self._next[last] = str(next_link)
        new_cursor = {"updated_at_ms": last[0], "key": last[1]} if last[0] >= 0 else None
        return Page(records, new_cursor or dict(cursor or {}), has_more=bool(next_link))


def _int(value: Any) -> int:
    """A paging field as an int; the service always sends one, so anything else is -1."""
    return value if isinstance(value, int) else -1


def _key(item: dict[str, Any]) -> str:
    return f"{item.get('MaTruong', '')}:{item.get('SoHieuVanBang', '')}"
