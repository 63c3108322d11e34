"""cloudrig metric source for Prometheus: a canary's metrics from PromQL range queries.

Importing this package loads nothing else; ``PrometheusSettings`` and ``PrometheusSource`` (which
needs httpx) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_prometheus.settings import PrometheusSettings
    from cloudrig_prometheus.source import PrometheusSource

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = ["PrometheusSettings", "PrometheusSource"]
