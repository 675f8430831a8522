"""The identity-card connector's adapter: pages through ``LayDanhSachTheCanCuoc``."""

from __future__ import annotations

from typing import Any

from connectors.identity_cards.mock import NAMESPACE, PATH
from hub.connect.contract import SourceAdapter
from hub.connect.records import Cursor, NativeRecord, Page
from hub.connect.soap_client import SoapClient, SoapTransport, element_record

LISTS = frozenset[str]()


def sortable(timestamp: Any) -> str | None:
    """``dd/mm/yyyy HH:MM:SS`` as ``yyyymmddHHMMSS`` (orderable), or None if not that shape."""
    if not isinstance(timestamp, str) or len(timestamp) != 19:
        return None
    key = timestamp[6:10] + timestamp[3:5] + timestamp[0:2] + timestamp[11:].replace(":", "")
    return key if key.isascii() and key.isdigit() else None


class IdentityCardAdapter(SourceAdapter):
    """Reads cards changed since a compound cursor, with the service's page numbers.

    Cursor: ``{"updated_at": <ngayCapNhat text of the last record>, "key": <its
    soDinhDanh>, "page": <page number within the query tuNgay=updated_at>}``. Each fetch
    asks for cards updated at or after ``updated_at`` and drops those at or before
    ``(updated_at, key)``, so equal timestamps are neither lost nor repeated and a
    restart resumes exactly. ``page`` only grows when a whole page lies at or before the
    cursor (more cards share one timestamp than fit in a page). Page numbers over a
    changing result set can shift, so they are never carried past a new position.

    Args:
        transport: the (simulated) SOAP endpoint.
        page_size: cards per request (the service caps it at 500).
    """

    def __init__(self, transport: SoapTransport, page_size: int = 500) -> None:
        self.client = SoapClient(transport, path=PATH, namespace=NAMESPACE)
        self.page_size = page_size

    async def fetch(self, stream: str, cursor: Cursor | None, limit: int) -> Page:
        """Fetch the next page of cards after ``cursor``."""
        cursor = cursor or {}
        since = cursor.get("updated_at")
        position = (sortable(since) or "", str(cursor.get("key", "")))
        page_no = int(cursor.get("page", 1))
        answer = await self.client.call(
            "LayDanhSachTheCanCuoc",
            {"tuNgay": since, "trang": page_no, "soBanGhi": min(limit, self.page_size)},
        )
        more = self.client.child_text(answer, "conTrangSau") == "true"
        records: list[NativeRecord] = []
        last, last_text = position, since
        for n, element in enumerate(self.client.children(answer, "TheCanCuoc")):
            row = element_record(element, LISTS)
            stamp, key = row.get("ngayCapNhat"), row.get("soDinhDanh")
            ordered = sortable(stamp)
            if ordered is not None and isinstance(key, str):
                if (ordered, key) <= position:
                    continue
                last, last_text = (ordered, key), stamp
            records.append(NativeRecord(row, position=f"{stream}@page{page_no}#{n}"))
        if last != position:
            next_cursor: Cursor = {"updated_at": last_text, "key": last[1], "page": 1}
        elif more:
            next_cursor = {**cursor, "page": page_no + 1}
        else:
            next_cursor = dict(cursor)
        return Page(records, next_cursor, has_more=more)
