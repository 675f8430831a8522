"""What a mock SQL source's readers see: its table definition, connections and results.

:class:`~hub.province.sqlsource.SqlSource` serves a :class:`SqlTableDef` and hands out
:class:`SqlConnection` objects shaped like a DB-API driver's, whose queries answer a
:class:`SqlResult` (or raise ``sqlite3`` errors, real or simulated).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SqlTableDef:
    """The native table a mock SQL source serves.

    Attributes:
        name: table name, as the source system spells it.
        columns: ``(column, SQL type)`` pairs, in table order.
        key: the primary-key column.
        updated_at: the last-modified column, in a form whose SQL order is time order.
        seconds: turns an ``updated_at`` value into epoch seconds.
    """

    name: str
    columns: tuple[tuple[str, str], ...]
    key: str
    updated_at: str
    seconds: Callable[[Any], float]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in table order."""
        return tuple(name for name, _ in self.columns)


class SqlResult:
    """The answer to one query, shaped like a DB-API cursor (``description``, ``fetchall``).

    Args:
        description: the driver's column description.
        rows: the rows.
        cut_after: when set, fetching fails after that many rows (a dropped connection).
    """

    def __init__(
        self, description: Any, rows: list[tuple[Any, ...]], cut_after: int | None = None
    ) -> None:
        self.description = description
        self._rows = rows
        self._cut_after = cut_after

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row of the result.

        Raises:
            sqlite3.OperationalError: the result set was truncated in transit.
        """
        if self._cut_after is not None:
            raise sqlite3.OperationalError(
                f"result set truncated after {self._cut_after} rows: connection reset"
            )
        return self._rows


#: Runs one query on behalf of a connection: ``(sql, params)`` → the source's answer.
Query = Callable[[str, Sequence[Any]], SqlResult]


class SqlConnection:
    """A read-only connection to a mock SQL source (see ``SqlSource.connect``).

    Args:
        connection: the SQLite connection the queries run on.
        query: runs one query through the source (late commits, faults).
    """

    def __init__(self, connection: sqlite3.Connection, query: Query) -> None:
        self._connection = connection
        self._query = query

    def execute(self, sql: str, params: Sequence[Any] = ()) -> SqlResult:
        """Run one query, as the source answers it (late commits, faults).

        Raises:
            sqlite3.Error: as the driver would, for real or simulated failures.
        """
        return self._query(sql, params)

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()
