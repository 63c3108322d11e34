"""Where CloudWatch is read from: an AWS account's connection settings, and the resolution."""

from __future__ import annotations

from pydantic import Field

from cloudrig.canary import MetricSourceSettings
from cloudrig_aws import AwsAccountSettings


class CloudWatchSettings(MetricSourceSettings, AwsAccountSettings):
    """CloudWatch as ``metric_sources`` configures it: the same connection settings as an AWS
    account (credentials as secret references, a role to assume, an endpoint), plus the period::

        metric_sources:
          cw:
            source: cloudwatch
            regions: [us-east-1]            # where the session starts; each query goes to the
            role_arn: arn:aws:iam::123456789012:role/cloudrig-metrics   # group's own region
            period_seconds: 60
    """

    period_seconds: int = Field(
        default=60,
        ge=1,
        description="Resolution of the samples: 1, 5, 10, 30 or a multiple of 60 (CloudWatch's)",
    )
