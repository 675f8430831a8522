"""FrozenRecord: a dict for every reader, refused to every writer."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from hub.codec.frozen import FrozenRecord

CHANGES: list[Callable[[FrozenRecord], Any]] = [
    lambda r: r.__setitem__("raw", "x"),
    lambda r: r.__delitem__("raw"),
    lambda r: r.__ior__({"raw": "x"}),
    lambda r: r.clear(),
    lambda r: r.pop("raw"),
    lambda r: r.popitem(),
    lambda r: r.setdefault("other", "x"),
    lambda r: r.update(raw="x"),
]


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_refused(change: Callable[[FrozenRecord], Any]) -> None:
    record = FrozenRecord({"raw": "Số 1", "codes": ["25771"]})
    with pytest.raises(TypeError, match="cannot be changed"):
        change(record)
    assert record == {"raw": "Số 1", "codes": ["25771"]}


def test_it_reads_copies_and_pickles_as_a_dict_would() -> None:
    record = FrozenRecord({"raw": "Số 1", "codes": ["25771"]})
    assert record == {"raw": "Số 1", "codes": ["25771"]} and isinstance(record, dict)
    for again in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
        assert type(again) is FrozenRecord and again == record
        assert again["codes"] is not record["codes"]
    editable = dict(record)
    editable["raw"] = "Số 2"
    assert record["raw"] == "Số 1" and type(record | {"x": 1}) is dict
