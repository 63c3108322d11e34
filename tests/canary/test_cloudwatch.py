"""Canary metrics from Amazon CloudWatch (``cloudrig-cloudwatch``) on moto's server.

The test puts datapoints for the canary's and the baseline's Auto Scaling groups; the configured
source reads them back with ``GetMetricData`` through ``cloudrig-aws``'s clients (on the strict
AWS target: every request checked against botocore's model), and the built-in judge fails a
canary whose CPU is clearly higher, naming the metric, and passes an equal one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudrig.canary import MannWhitneyJudge, MetricSpec, MetricsRequest
from cloudrig.canary._sources import ConfiguredMetrics, ConfiguredSource, GroupRef
from cloudrig.ratelimit import Limiter
from cloudrig_cloudwatch.plugin import DESCRIPTOR
from cloudrig_cloudwatch.query import MetricQuery
from cloudrig_cloudwatch.settings import CloudWatchSettings

REGION = "us-east-1"
CPU = "AWS/EC2 CPUUtilization Average AutoScalingGroupName=$server_group"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def metrics(moto_aws: Any, strict_aws: Any, monkeypatch: pytest.MonkeyPatch) -> ConfiguredMetrics:
    monkeypatch.setenv("CW_KEY", "testing")
    monkeypatch.setenv("CW_SECRET", "testing")
    values = {
        "regions": [REGION],
        "endpoint_url": moto_aws.url,
        "access_key_id": "env:CW_KEY",
        "secret_access_key": "env:CW_SECRET",
        "account_id": "123456789012",
        "period_seconds": 60,
    }
    settings = CloudWatchSettings.model_validate(values)
    return ConfiguredMetrics({"cw": ConfiguredSource("cw", DESCRIPTOR, settings)}, Limiter())


def put(moto_aws: Any, group: str, values: list[float]) -> None:
    cloudwatch = moto_aws.client("cloudwatch")
    cloudwatch.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {"MetricName": "CPUUtilization", "Value": value, "Unit": "Percent",
             "Timestamp": NOW - timedelta(minutes=len(values) - i),
             "Dimensions": [{"Name": "AutoScalingGroupName", "Value": group}]}
            for i, value in enumerate(values)
        ],
    )  # fmt: skip


def request(canary: str, baseline: str) -> MetricsRequest:
    spec = MetricSpec(name="cpu", source="cw", query=CPU, critical=True)
    return MetricsRequest(
        deployment_id="d-1", account="aws", region=REGION, canary=canary, baseline=baseline,
        start=NOW - timedelta(minutes=30), end=NOW + timedelta(minutes=1),
        metrics=("cpu",), specs=(spec,),
    )  # fmt: skip


def judge(metrics: ConfiguredMetrics, canary: str, baseline: str) -> Any:
    from cloudrig.canary import JudgeRequest

    req = request(canary, baseline)
    data = metrics.cloudrig_canary_metrics(req)
    return data, MannWhitneyJudge().judge(JudgeRequest(metrics=req.specs, data=data))


def test_a_canary_using_clearly_more_cpu_fails_naming_the_metric(
    metrics: ConfiguredMetrics, moto_aws: Any
) -> None:
    put(moto_aws, "web-v001", [20.0, 21.0, 22.0, 20.5, 21.5, 20.0, 22.5, 21.0])
    put(moto_aws, "web-v002", [60.0, 61.0, 62.0, 60.5, 61.5, 60.0, 62.5, 61.0])
    data, analysis = judge(metrics, canary="web-v002", baseline="web-v001")
    assert sorted(data["cpu"].canary) == [60.0, 60.0, 60.5, 61.0, 61.0, 61.5, 62.0, 62.5]
    assert len(data["cpu"].baseline) == 8
    assert analysis.outcome.value == "fail"
    assert "cpu" in analysis.reason


def test_an_equal_canary_passes_and_a_silent_one_has_no_data(
    metrics: ConfiguredMetrics, moto_aws: Any
) -> None:
    put(moto_aws, "api-v001", [30.0, 31.0, 29.0, 30.5, 30.0, 29.5])
    put(moto_aws, "api-v002", [30.5, 29.0, 31.0, 30.0, 29.5, 30.0])
    _, analysis = judge(metrics, canary="api-v002", baseline="api-v001")
    assert analysis.outcome.value == "pass"
    data, analysis = judge(metrics, canary="api-v009", baseline="api-v001")
    assert data["cpu"].canary == ()
    assert analysis.results[0].classification.value == "nodata"


def test_the_group_is_a_dimension_and_a_bad_query_is_one_clear_error() -> None:
    ref = GroupRef.of("web-v003", "aws", REGION)
    query = MetricQuery.parse(ref.substitute(CPU))
    assert query.dimensions == (("AutoScalingGroupName", "web-v003"),)
    assert query.metric_data_query(60)["MetricStat"]["Stat"] == "Average"
    with pytest.raises(ValueError, match="statistic 'Mean' is not one of"):
        MetricQuery.parse("AWS/EC2 CPUUtilization Mean")
    with pytest.raises(ValueError, match="dimension 'Group' is not NAME=VALUE"):
        MetricQuery.parse("AWS/EC2 CPUUtilization Average Group")
    with pytest.raises(ValueError, match=r"unknown variable \$asg"):
        ref.substitute("AWS/EC2 CPUUtilization Average AutoScalingGroupName=$asg")
