"""The vehicles connector's adapter: polls ``dang_ky_xe`` by ``tg_cap_nhat``."""

from __future__ import annotations

from connectors.vehicles.mock import TABLE, VehicleRegisterDb
from hub.connect.sql_polling import PolledTable, SqlPollingAdapter, shift_iso

#: The registrations stream, in the source's own names (ISO times with an offset).
REGISTRATIONS = PolledTable(
    table=TABLE.name,
    columns=TABLE.column_names,
    updated_at="tg_cap_nhat",
    key="bien_so",
    shift=shift_iso,
)


def vehicles_adapter(db: VehicleRegisterDb, page_size: int = 500) -> SqlPollingAdapter:
    """An adapter over ``db`` that drops the mock's files when closed."""
    return SqlPollingAdapter(
        db.connect, {"registrations": REGISTRATIONS}, page_size=page_size, on_close=db.close
    )
