"""Shared pieces of the mapping tests' property: any mutation of a valid native record
maps to canonical records that encode, or raises a RecordError, never another exception.

Three strategies mutate a valid record the way its source's records can go wrong:

* :func:`mutated_rows`: a flat CSV row (day files): cells dropped, replaced or spliced;
* :func:`mutated_columns`: a flat SQL row: columns replaced and dropped;
* :func:`mutated_tree`: a nested SOAP/JSON record: any node deleted or replaced.

:func:`check_maps_or_rejects` is the property's body.
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import strategies as st

from hub.codec import AvroCodec
from hub.connect.contract import RecordMapper
from hub.connect.records import NativeRecord
from hub.errors import RecordError

#: Any JSON value, small: what a damaged JSON field may hold instead.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def check_maps_or_rejects(
    mapper: RecordMapper, stream: str, codec: AvroCodec, payload: dict[str, Any]
) -> None:
    """Map ``payload``: a RecordError is a fine answer, else every record must encode."""
    try:
        records = mapper.map(stream, NativeRecord(payload))
    except RecordError:
        return
    for record in records:
        codec.encode(record.value or {})


@st.composite
def mutated_rows(
    draw: st.DrawFn,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    values: st.SearchStrategy[Any],
    extra: str = "EXTRA",
) -> dict[str, Any]:
    """A copy of one of ``rows`` with one to three cells dropped, set or spliced.

    The mutated column may also be the reader's ``_malformed`` marker or ``extra``,
    a column the source does not write; a splice replaces one character of a text cell.
    """
    row: dict[str, Any] = dict(draw(st.sampled_from(list(rows))))
    for _ in range(draw(st.integers(1, 3))):
        column = draw(st.sampled_from([*columns, "_malformed", extra]))
        action = draw(st.sampled_from(["drop", "set", "splice"]))
        if action == "drop":
            row.pop(column, None)
        elif action == "set" or not isinstance(row.get(column), str):
            row[column] = draw(values)
        else:
            text = row[column]
            at = draw(st.integers(0, len(text)))
            row[column] = text[:at] + draw(st.text(max_size=3)) + text[at + 1 :]
    return row


@st.composite
def mutated_columns(
    draw: st.DrawFn,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    values: st.SearchStrategy[Any],
) -> dict[str, Any]:
    """A copy of one of ``rows`` with up to four columns set and up to two dropped."""
    row = copy.deepcopy(rows[draw(st.integers(0, len(rows) - 1))])
    changes = draw(st.lists(st.tuples(st.sampled_from(list(columns)), values), max_size=4))
    drop = draw(st.sets(st.sampled_from(list(columns)), max_size=2))
    for column, value in changes:
        row[column] = value
    for column in drop:
        row.pop(column, None)
    return row


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (dict keys and list positions) to a node below ``value``."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += paths(item, (*prefix, n))
    return found


@st.composite
def mutated_tree(
    draw: st.DrawFn,
    samples: Callable[[], Sequence[dict[str, Any]]],
    replacements: st.SearchStrategy[Any],
) -> dict[str, Any]:
    """A copy of one of ``samples()`` with one to three nodes deleted or replaced.

    ``samples`` is called when drawing, so building the records waits for the test run.
    """
    row = copy.deepcopy(draw(st.sampled_from(list(samples()))))
    for _ in range(draw(st.integers(1, 3))):
        found = paths(row)
        if not found:
            break
        path = draw(st.sampled_from(found))
        parent = functools.reduce(operator.getitem, path[:-1], row)
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(replacements)
    return row
