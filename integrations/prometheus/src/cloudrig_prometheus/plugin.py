"""The plugin module named by the ``cloudrig`` entry point: it describes the metric source.

It imports only the descriptor: the settings model and the implementation are named by
``"module:Name"`` references and imported when a configuration names the source.
"""

from __future__ import annotations

from cloudrig.canary import MetricSourceDescriptor
from cloudrig.provider import hookimpl

DESCRIPTOR = MetricSourceDescriptor(
    name="prometheus",
    description="Prometheus HTTP API: PromQL range queries over each analysis interval",
    settings="cloudrig_prometheus.settings:PrometheusSettings",
    implementation="cloudrig_prometheus.source:PrometheusSource",
)


@hookimpl
def cloudrig_metric_sources() -> list[MetricSourceDescriptor]:
    return [DESCRIPTOR]
