"""Records their maker never changes, so that an encoder may remember their bytes.

A mapper that caches part of what it maps (the population mapper's addresses: a
household's members share one) used to hand out a copy each time, and the Avro writer
then recognised the copy by its values: both cost about a microsecond per address. A
:class:`FrozenRecord` is handed out as it is, to every record that shares it, and the
compiled Avro writer (:mod:`hub.codec.compiled`) remembers the bytes of each one it
wrote, by identity, for as long as it holds it. That is only right if the record never
changes: every method that would change it, or a list in it, raises ``TypeError``. (The
base classes' own methods called on it directly, ``dict.__setitem__(record, ...)``, get
past any subclass; nothing in the hub does that, and nothing may.) fastavro's writer
takes exact dicts and lists only: :func:`thawed` gives it plain ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

__all__ = ["FrozenList", "FrozenRecord", "thawed"]


class FrozenList(list[Any]):
    """A list no one changes once it is made: an array in a :class:`FrozenRecord`."""

    __slots__ = ()

    def __new__(cls, items: Iterable[Any] = ()) -> FrozenList:
        made = super().__new__(cls)
        list.__init__(made, items)
        return made

    def __init__(self, *_: Any) -> None:
        """Nothing: :meth:`__new__` filled it, and calling this again changes nothing."""

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        """Pickle (and copy) as the items it holds."""
        return FrozenList, (list(self),)


class FrozenRecord(dict[str, Any]):
    """A canonical (sub-)record that no one changes once it is made.

    It is a ``dict`` for everything that reads it (equality included). The lists among
    its values become :class:`FrozenList` when it is made.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> FrozenRecord:
        made = super().__new__(cls)
        dict.__init__(made, *args, **kwargs)
        for key, value in made.items():
            if type(value) is list:
                dict.__setitem__(made, key, FrozenList(value))
        return made

    def __init__(self, *_: Any, **__: Any) -> None:
        """Nothing: :meth:`__new__` filled it, and calling this again changes nothing."""

    def __reduce__(self) -> tuple[type[FrozenRecord], tuple[dict[str, Any]]]:
        """Pickle (and copy) as the values it holds."""
        return FrozenRecord, (dict(self),)


def _refuse(self: object, *_: Any, **__: Any) -> NoReturn:
    raise TypeError(f"a {type(self).__name__} cannot be changed: copy it (dict(), list())")


for _method in (
    "__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem", "setdefault", "update",
):  # fmt: skip
    setattr(FrozenRecord, _method, _refuse)
for _method in (
    "__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert",
    "remove", "pop", "clear", "sort", "reverse",
):  # fmt: skip
    setattr(FrozenList, _method, _refuse)


def thawed(value: Any) -> Any:
    """``value`` with each FrozenRecord and FrozenList in it, at any depth of dicts and
    lists, as a plain dict or list: for code that takes exact types only (fastavro's
    compiled writer refuses subclasses). What holds none is returned as it is."""
    kind = type(value)
    if kind is FrozenRecord or kind is dict:
        items = {key: thawed(item) for key, item in value.items()}
        if kind is dict and all(items[key] is item for key, item in value.items()):
            return value
        return items
    if kind is FrozenList or kind is list:
        listed = [thawed(item) for item in value]
        if kind is list and all(new is old for new, old in zip(listed, value, strict=True)):
            return value
        return listed
    return value
