"""The health-insurance connector's adapter: polls ``THE_BHYT`` by ``NGAY_CN``."""

from __future__ import annotations

from connectors.health_insurance.mock import TABLE, HealthInsuranceDb
from hub.connect.sql_polling import PolledTable, SqlPollingAdapter, shift_epoch

#: The cards stream, in the source's own names (epoch-second update times).
CARDS = PolledTable(
    table=TABLE.name,
    columns=TABLE.column_names,
    updated_at="NGAY_CN",
    key="MA_SO_BHXH",
    shift=shift_epoch,
)


def health_insurance_adapter(db: HealthInsuranceDb, page_size: int = 500) -> SqlPollingAdapter:
    """An adapter over ``db`` that drops the mock's files when closed."""
    return SqlPollingAdapter(db.connect, {"cards": CARDS}, page_size=page_size, on_close=db.close)
