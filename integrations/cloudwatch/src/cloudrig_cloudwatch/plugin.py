"""The plugin module named by the ``cloudrig`` entry point: it describes the metric source.

It imports only the descriptor: the settings model and the implementation (boto3 through
``cloudrig-aws``) are named by ``"module:Name"`` references, imported when a configuration names
the source.
"""

from __future__ import annotations

from cloudrig.canary import MetricSourceDescriptor
from cloudrig.provider import hookimpl

DESCRIPTOR = MetricSourceDescriptor(
    name="cloudwatch",
    description="Amazon CloudWatch GetMetricData, with the group's identity as a dimension",
    settings="cloudrig_cloudwatch.settings:CloudWatchSettings",
    implementation="cloudrig_cloudwatch.source:CloudWatchSource",
)


@hookimpl
def cloudrig_metric_sources() -> list[MetricSourceDescriptor]:
    return [DESCRIPTOR]
