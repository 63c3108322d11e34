"""cloudrig metric source for Amazon CloudWatch: a canary's metrics from ``GetMetricData``.

Importing this package loads nothing else; ``CloudWatchSettings`` and ``CloudWatchSource``
(which need boto3) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_cloudwatch.query import MetricQuery
    from cloudrig_cloudwatch.settings import CloudWatchSettings
    from cloudrig_cloudwatch.source import CloudWatchSource

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = ["CloudWatchSettings", "CloudWatchSource", "MetricQuery"]
