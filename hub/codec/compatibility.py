"""Backward compatibility of Avro schemas: can a reader on the new schema read old data?

The check applies the Avro specification's schema-resolution rules with the new schema as
*reader* and the previous one as *writer*, and lists every problem with the path of the
field it concerns (``members[].relationship``, ``address.ward_code``):

* records match by (unqualified) name or a reader alias; a reader field missing from the
  writer (by name or alias) needs a ``default``; writer fields the reader dropped are fine;
* enums match by name; a writer symbol the reader lacks breaks unless the reader enum
  has a ``default`` symbol;
* fixed types match by name and size; arrays and maps by their items and values;
* primitives match when equal or promotable: int → long, float, double; long → float,
  double; float → double; string ↔ bytes;
* a writer union resolves when every branch does; a non-union writer resolves against a
  reader union when some branch matches it;
* named references resolve through the schema's own names and namespaces, so a type
  defined once and referenced by name (``vn.gov.hub.common.Address``) is followed;
* beyond the specification, a changed ``logicalType`` on the same underlying type is
  reported: the bytes still decode but would be misread (millis as micros).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.codec.type_names import NAMED, PRIMITIVES

PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One reason why data written with the old schema cannot be read with the new one.

    Attributes:
        path: the field's path from the top-level record (empty for the record itself).
        reason: what breaks.
    """

    path: str
    reason: str

    def __str__(self) -> str:
        """``path: reason``."""
        return f"{self.path or '<record>'}: {self.reason}"


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _namespace_of(full_name: str) -> str | None:
    return full_name.rpartition(".")[0] or None


class _Schema:
    """A schema with its named types indexed and references made explicit."""

    def __init__(self, definition: Any) -> None:
        self.names: dict[str, dict[str, Any]] = {}
        self.root = self._normalise(definition, None)

    def _normalise(self, node: Any, namespace: str | None) -> Any:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return node
            full = _full_name(node, namespace)
            return {"__ref": full if full in self.names or node not in self.names else node}
        if isinstance(node, list):
            return [self._normalise(branch, namespace) for branch in node]
        kind = node["type"]
        if kind in NAMED:
            full = _full_name(node["name"], node.get("namespace") or namespace)
            inner = _namespace_of(full)
            named = dict(node, __full=full, __namespace=inner)
            self.names[full] = named  # before the fields: a record may refer to itself
            if kind in ("record", "error"):
                named["fields"] = [
                    dict(f, type=self._normalise(f["type"], inner)) for f in node["fields"]
                ]
            return {"__ref": full}
        if kind == "array":
            return dict(node, items=self._normalise(node["items"], namespace))
        if kind == "map":
            return dict(node, values=self._normalise(node["values"], namespace))
        if isinstance(kind, str) and kind in PRIMITIVES:
            return node if "logicalType" in node else kind
        return self._normalise(kind, namespace)

    def resolve(self, node: Any) -> Any:
        """``node`` with a named reference replaced by the named type's definition."""
        if isinstance(node, dict) and "__ref" in node:
            return self.names.get(node["__ref"], {"type": "__unknown", "name": node["__ref"]})
        return node


def _type_name(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    kind = str(node.get("type"))
    if kind in NAMED:
        return f"{kind} {node.get('__full', node.get('name'))}"
    return kind


def _base(node: Any) -> str:
    """The kind of a resolved node: a primitive's name, record, enum, array, union..."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    return "record" if node["type"] == "error" else str(node["type"])


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path and not part.startswith(("[", "{")) else f"{path}{part}"


class _Checker:
    def __init__(self, reader: _Schema, writer: _Schema) -> None:
        self.reader = reader
        self.writer = writer
        self.problems: list[Incompatibility] = []
        self._open: set[tuple[str, str]] = set()

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(Incompatibility(path, reason))

    def names_match(self, reader: dict[str, Any], writer: dict[str, Any]) -> bool:
        if reader["name"].rpartition(".")[2] == writer["name"].rpartition(".")[2]:
            return True
        aliases = {_full_name(a, reader.get("__namespace")) for a in reader.get("aliases", [])}
        return writer["__full"] in aliases or writer["name"] in reader.get("aliases", [])

    def matches(self, reader: Any, writer: Any) -> bool:
        """Whether a reader union branch is the one resolution picks for ``writer``."""
        r, w = self.reader.resolve(reader), self.writer.resolve(writer)
        rb, wb = _base(r), _base(w)
        if rb in PRIMITIVES and wb in PRIMITIVES:
            return rb == wb or rb in PROMOTIONS.get(wb, set())
        if rb != wb:
            return False
        if rb in ("record", "enum", "fixed"):
            return self.names_match(r, w)
        return True

    def check(self, reader: Any, writer: Any, path: str) -> None:
        r, w = self.reader.resolve(reader), self.writer.resolve(writer)
        if isinstance(w, list):
            for branch in w:
                self.check(reader, branch, path)
            return
        if isinstance(r, list):
            exact = [
                b for b in r if self.matches(b, w) and _base(self.reader.resolve(b)) == _base(w)
            ]
            branch = next(iter(exact), None) or next((b for b in r if self.matches(b, w)), None)
            if branch is None:
                self.fail(path, f"the new union has no branch for the old type {_type_name(w)}")
            else:
                self.check(branch, writer, path)
            return
        rb, wb = _base(r), _base(w)
        if rb in PRIMITIVES and wb in PRIMITIVES:
            self._primitive(r, w, path)
        elif rb != wb or (rb in ("record", "enum", "fixed") and not self.names_match(r, w)):
            self.fail(path, f"type changed from {_type_name(w)} to {_type_name(r)}")
        elif rb == "record":
            self._record(r, w, path)
        elif rb == "enum":
            self._enum(r, w, path)
        elif rb == "fixed" and r.get("size") != w.get("size"):
            self.fail(path, f"fixed size changed from {w.get('size')} to {r.get('size')}")
        elif rb == "array":
            self.check(r["items"], w["items"], _join(path, "[]"))
        elif rb == "map":
            self.check(r["values"], w["values"], _join(path, "{}"))

    def _primitive(self, r: Any, w: Any, path: str) -> None:
        rb, wb = _base(r), _base(w)
        if rb != wb and rb not in PROMOTIONS.get(wb, set()):
            self.fail(path, f"type changed from {wb} to {rb}, which is not a promotion")
            return
        r_logical = r.get("logicalType") if isinstance(r, dict) else None
        w_logical = w.get("logicalType") if isinstance(w, dict) else None
        if rb == wb and r_logical != w_logical:
            self.fail(path, f"logical type changed from {w_logical} to {r_logical}")

    def _record(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        pair = (r["__full"], w["__full"])
        if pair in self._open:  # a recursive type, already being checked further up
            return
        self._open.add(pair)
        written = {f["name"]: f for f in w["fields"]}
        for field in r["fields"]:
            names = [field["name"], *field.get("aliases", [])]
            old = next((written[n] for n in names if n in written), None)
            field_path = _join(path, field["name"])
            if old is not None:
                self.check(field["type"], old["type"], field_path)
            elif "default" not in field:
                self.fail(field_path, "field added without a default")
        self._open.discard(pair)

    def _enum(self, r: dict[str, Any], w: dict[str, Any], path: str) -> None:
        missing = [s for s in w["symbols"] if s not in r["symbols"]]
        if missing and r.get("default") not in r["symbols"]:
            self.fail(
                path,
                f"enum {r['__full']} lost symbol(s) {', '.join(missing)} and has no default",
            )


def check_compatibility(new: Any, old: Any) -> list[Incompatibility]:
    """Problems reading data written with ``old`` using ``new`` (empty when compatible).

    Args:
        new: the reader schema, as parsed JSON (the ``.avsc`` content).
        old: the writer schema, as parsed JSON.

    Returns:
        Every incompatibility found, each naming its field path.
    """
    checker = _Checker(_Schema(new), _Schema(old))
    checker.check(checker.reader.root, checker.writer.root, "")
    return checker.problems
