"""``CloudWatchSource``: ``GetMetricData`` through ``cloudrig-aws``'s clients.

The clients come from ``cloudrig_aws.ClientFactory``: the same credentials handling, role
assumption, error mapping and limiter as an AWS account's (cloud ``aws``, the account's identity:
metric reads share that account's CloudWatch budget with everything else cloudrig sends). Each
query goes to the group's own region; pages are followed.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from cloudrig.canary import GroupRef, MetricSourceContext
from cloudrig_aws import ClientFactory
from cloudrig_cloudwatch.query import MetricQuery
from cloudrig_cloudwatch.settings import CloudWatchSettings


class CloudWatchSource:
    """A configured CloudWatch, asked for the datapoints of one metric over one interval."""

    def __init__(self, context: MetricSourceContext) -> None:
        self.name = context.name
        self.settings: CloudWatchSettings = context.settings
        self.clients = ClientFactory(
            self.settings, context.limiter, account=f"metric source {context.name}"
        )

    def check(self) -> str:
        """One page of ``ListMetrics`` in the first configured region."""
        region = self.settings.regions[0]
        self.clients.client("cloudwatch", region).call("list_metrics")
        return f"CloudWatch in {region} answers"

    def samples(
        self, query: str, group: GroupRef, start: datetime, end: datetime
    ) -> tuple[float, ...]:
        """Every datapoint of the query's metric and statistic between ``start`` and ``end``, at
        the configured period, oldest first."""
        parsed = MetricQuery.parse(query)
        client = self.clients.client("cloudwatch", group.region)
        request: dict[str, Any] = {
            "MetricDataQueries": [parsed.metric_data_query(self.settings.period_seconds)],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        values: list[float] = []
        while True:
            answer = client.call("get_metric_data", **request)
            for result in answer.get("MetricDataResults", ()):
                values.extend(v for v in result.get("Values", ()) if math.isfinite(v))
            token = answer.get("NextToken")
            if not token:
                return tuple(values)
            request["NextToken"] = token
