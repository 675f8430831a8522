"""The provincial data-sharing hub: state databases → canonical Avro records on Kafka.

The package follows the data: ``connect`` (adapters, mappings, the runtime) → ``codec``
(schemas, Avro framing) → Kafka (``broker`` for the embedded one) → cross-checks.
``hub`` never imports ``connectors``: connectors depend on ``hub`` and are discovered
through the ``hub.connectors`` entry-point group.
"""

from __future__ import annotations

__version__ = "0.1.0"
