"""A metric query as a canary metric writes it: ``NAMESPACE METRIC STATISTIC [NAME=VALUE ...]``.

    AWS/EC2 CPUUtilization Average AutoScalingGroupName=$server_group
    AWS/ApplicationELB TargetResponseTime p90 LoadBalancer=app/web/50dc6c495c0c9188 TargetGroup=$target_group
    AWS/ECS CPUUtilization Average ClusterName=prod ServiceName=$server_group
    AWS/Lambda Duration p99 FunctionName=$cluster Resource=$cluster:$server_group

Dimension values may contain ``=`` and ``:`` but no space; the statistic is one of CloudWatch's
(``Average``, ``Sum``, ``Minimum``, ``Maximum``, ``SampleCount``) or a percentile (``p90``,
``p99.9``). A malformed query is one ``ValueError`` naming what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_STATISTICS = {"Average", "Sum", "Minimum", "Maximum", "SampleCount"}
_PERCENTILE = re.compile(r"p\d{1,2}(\.\d+)?|p100")


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch metric and statistic, parsed from a query string."""

    namespace: str
    metric: str
    statistic: str
    dimensions: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, query: str) -> MetricQuery:
        """Parse ``NAMESPACE METRIC STATISTIC [NAME=VALUE ...]``."""
        parts = query.split()
        if len(parts) < 3:
            raise ValueError(
                f"CloudWatch query {query!r}: expected 'NAMESPACE METRIC STATISTIC "
                "[NAME=VALUE ...]'"
            )
        namespace, metric, statistic, *pairs = parts
        if statistic not in _STATISTICS and not _PERCENTILE.fullmatch(statistic):
            raise ValueError(
                f"CloudWatch query {query!r}: statistic {statistic!r} is not one of "
                f"{', '.join(sorted(_STATISTICS))} or a percentile like p90"
            )
        dimensions = []
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not (sep and name and value):
                raise ValueError(
                    f"CloudWatch query {query!r}: dimension {pair!r} is not NAME=VALUE"
                )
            dimensions.append((name, value))
        if len(dimensions) > 30:  # GetMetricData: at most 30 dimensions per metric
            raise ValueError(f"CloudWatch query {query!r}: more than 30 dimensions")
        return cls(namespace, metric, statistic, tuple(dimensions))

    def metric_data_query(self, period: int) -> dict[str, Any]:
        """The query as one ``MetricDataQueries`` entry of ``GetMetricData``."""
        return {
            "Id": "m0",
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
                },
                "Period": period,
                "Stat": self.statistic,
            },
            "ReturnData": True,
        }
