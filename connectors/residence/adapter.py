"""The residence connector's adapter: polls ``dk_cu_tru`` by ``ngay_cap_nhat``."""

from __future__ import annotations

from connectors.residence.mock import TABLE, ResidenceDb
from hub.connect.sql_polling import PolledTable, SqlPollingAdapter, shift_iso

#: The registrations stream, in the source's own names.
REGISTRATIONS = PolledTable(
    table=TABLE.name,
    columns=TABLE.column_names,
    updated_at="ngay_cap_nhat",
    key="so_dk",
    shift=shift_iso,
)


def residence_adapter(db: ResidenceDb, page_size: int = 500) -> SqlPollingAdapter:
    """An adapter over ``db`` that drops the mock's files when closed."""
    return SqlPollingAdapter(
        db.connect, {"registrations": REGISTRATIONS}, page_size=page_size, on_close=db.close
    )
