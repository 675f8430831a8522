"""FrozenRecord and FrozenList: a dict and a list for every reader, refused to every writer."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from hub.codec.frozen import FrozenList, FrozenRecord, thawed

CHANGES: list[Callable[[FrozenRecord], Any]] = [
    lambda r: r.__setitem__("raw", "x"),
    lambda r: r.__delitem__("raw"),
    lambda r: r.__ior__({"raw": "x"}),
    lambda r: r.clear(),
    lambda r: r.pop("raw"),
    lambda r: r.popitem(),
    lambda r: r.setdefault("other", "x"),
    lambda r: r.update(raw="x"),
    lambda r: r["codes"].append("x"),
    lambda r: r["codes"].__setitem__(0, "x"),
    lambda r: r["codes"].__iadd__(["x"]),
    lambda r: r["codes"].extend(["x"]),
    lambda r: r["codes"].sort(),
]


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_refused(change: Callable[[FrozenRecord], Any]) -> None:
    record = FrozenRecord({"raw": "Số 1", "codes": ["25771", "25772"]})
    with pytest.raises(TypeError, match="cannot be changed"):
        change(record)
    assert record == {"raw": "Số 1", "codes": ["25771", "25772"]}


def test_initialising_again_changes_nothing() -> None:
    """Both are filled when made (``__new__``); ``__init__`` cannot refill them."""
    record = FrozenRecord({"raw": "Số 1", "codes": ["25771"]})
    record.__init__(raw="x")  # type: ignore[misc]
    record["codes"].__init__(["x"])
    assert record == {"raw": "Số 1", "codes": ["25771"]}


def test_it_reads_copies_and_pickles_as_a_dict_would() -> None:
    codes = ["25771"]
    record = FrozenRecord({"raw": "Số 1", "codes": codes})
    assert record == {"raw": "Số 1", "codes": ["25771"]} and isinstance(record, dict)
    assert type(record["codes"]) is FrozenList and record["codes"] is not codes
    for again in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
        assert type(again) is FrozenRecord and again == record
        assert type(again["codes"]) is FrozenList and again["codes"] is not record["codes"]
    editable = dict(record)
    editable["raw"] = "Số 2"
    assert record["raw"] == "Số 1" and type(record | {"x": 1}) is dict


def test_thawed_makes_plain_dicts_and_lists_at_any_depth() -> None:
    frozen = FrozenRecord({"raw": "Số 1", "codes": ["25771"]})
    record = {"pin": "074078559032", "addresses": [frozen], "meta": {"source": "population"}}
    plain = thawed(record)
    assert plain == record and type(plain["addresses"][0]) is dict
    assert type(plain["addresses"][0]["codes"]) is list
    assert plain["meta"] is record["meta"]  # holds nothing frozen: left as it is
    untouched = {"pin": "074078559032", "names": ["A"]}
    assert thawed(untouched) is untouched
