"""cloudrig on OpenTelemetry: spans of deployments, their steps and their cloud requests, and
metrics of requests, throttling, limiter waits and deployments in flight (README.md).

Installed, it is found through the ``cloudrig`` entry point (``cloudrig_otel.plugin``), which
exports to the OTLP/HTTP endpoint the standard ``OTEL_*`` environment variables name. An embedder
whose application configures OpenTelemetry itself registers a ``Telemetry`` explicitly::

    cloudrig.connect("cloudrig.yaml", plugins=[cloudrig_otel.Telemetry()])

``import cloudrig_otel`` stays light: OpenTelemetry loads with the first use of ``Telemetry``.
"""

from typing import TYPE_CHECKING

from cloudrig._lazy import lazy_exports

if TYPE_CHECKING:
    from cloudrig_otel._environment import enabled_by_environment, pipeline_from_environment
    from cloudrig_otel._telemetry import Telemetry

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = ["Telemetry", "enabled_by_environment", "pipeline_from_environment"]
