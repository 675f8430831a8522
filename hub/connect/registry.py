"""Finding connectors: every installed package that declares a ``hub.connectors`` entry point.

``hub`` never imports ``connectors`` directly; the project's own connectors are declared
in ``pyproject.toml`` like any third-party one would be.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from hub.connect.contract import ConnectorSpec
from hub.errors import ConfigurationError

GROUP = "hub.connectors"


def discover() -> dict[str, ConnectorSpec]:
    """Every registered connector by name, in name order.

    Raises:
        ConfigurationError: an entry point does not load a :class:`ConnectorSpec`.
    """
    found: dict[str, ConnectorSpec] = {}
    for entry in entry_points(group=GROUP):
        spec = entry.load()
        if not isinstance(spec, ConnectorSpec):
            raise ConfigurationError(f"entry point {entry.value} is not a ConnectorSpec")
        found[spec.name] = spec
    return dict(sorted(found.items()))


def select(names: list[str] | None) -> list[ConnectorSpec]:
    """The named connectors (all when ``names`` is empty).

    Raises:
        ConfigurationError: a name is not a registered connector.
    """
    known = discover()
    if not names:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigurationError(
            f"unknown connector(s) {', '.join(unknown)}; known: {', '.join(known)}",
            field="connectors",
        )
    return [known[n] for n in names]
