"""Records their maker never changes, so that an encoder may remember their bytes.

A mapper that caches part of what it maps (the population mapper's addresses: a
household's members share one) used to hand out a copy each time, and the Avro writer
then recognised the copy by its values: both cost about a microsecond per address. A
:class:`FrozenRecord` is handed out as it is, to every record that shares it, and the
compiled Avro writer (:mod:`hub.codec.compiled`) remembers the bytes of each one it
wrote, by identity, for as long as it holds it.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["FrozenRecord"]


class FrozenRecord(dict[str, Any]):
    """A canonical (sub-)record that no one changes once it is made.

    It is a ``dict`` for everything that reads it (equality included); every method that
    would change it raises ``TypeError``. The promise covers what it holds too: a list in
    it (an Avro array) is left as it is, as nothing here can enforce that.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type[FrozenRecord], tuple[dict[str, Any]]]:
        """Pickle as the values it holds (unpickling item by item would be refused)."""
        return FrozenRecord, (dict(self),)


def _refuse(self: FrozenRecord, *_: Any, **__: Any) -> NoReturn:
    raise TypeError("a FrozenRecord cannot be changed: make a dict of it (dict(record))")


for _method in (
    "__setitem__", "__delitem__", "__ior__", "clear", "pop", "popitem", "setdefault", "update",
):  # fmt: skip
    setattr(FrozenRecord, _method, _refuse)
