"""Metrics: the catalogue of every metric the hub exports, bound to a registry."""

from __future__ import annotations

from hub.metrics.catalogue import ConnectorMetrics, HubMetrics

__all__ = ["ConnectorMetrics", "HubMetrics"]
