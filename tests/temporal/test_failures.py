"""Failures on Temporal, classified as cloudrig classifies them: a transient error that outlasts
cloudrig's own retries is retried by Temporal (the step again, from where it was), a permanent one
(a health deadline missed) rolls the deployment back at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig.engine import EventKind
from cloudrig.strategies import RedBlack
from support.aws import Lifecycle
from support.proxy import Style, server_error

from .conftest import AMI_V1, AMI_V2, AWS, REGION, cluster_state, serving, spec

pytestmark = pytest.mark.moto


def test_a_transient_error_past_cloudrigs_retries_is_retried_by_temporal(
    moto_aws: Any,
    aws_env: None,
    tmp_path: Path,
    fault_proxy: Callable[..., Any],
    temporal: Any,
    temporal_worker: Any,
) -> None:
    proxy = fault_proxy(moto_aws.url)
    behind = AWS.connect(tmp_path, {"endpoint_url": proxy.url})  # 2 attempts per request
    AWS.upsert_web(behind, REGION)
    temporal_worker(behind)
    # Three 500s: the step's two attempts both fail, Temporal runs the step again.
    proxy.add(server_error(Style.AWS_QUERY), operation="CreateAutoScalingGroup", times=3)
    deployment = temporal.deploy(spec(AMI_V1), RedBlack())
    assert deployment.wait()["status"] == "succeeded"
    assert proxy.answered("CreateAutoScalingGroup") == 3
    assert moto_aws.request_count("CreateAutoScalingGroup") == 1, "created once"
    assert list(cluster_state(moto_aws)) == ["shop-prod-v001"]
    assert EventKind.RESUMED in [e.kind for e in deployment.events()]
    behind.close()


def test_a_missed_health_deadline_rolls_back_without_retrying(
    rig: Any, moto_aws: Any, temporal: Any, temporal_worker: Any
) -> None:
    temporal_worker(rig)
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    elbv2 = moto_aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=60.0))
    final = temporal.deploy(spec(AMI_V2), RedBlack(health_timeout=2.0)).wait()
    assert final["status"] == "failed"
    assert "WaitTimeout" in final["error"]
    state = cluster_state(moto_aws)
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert state["shop-prod-v001"]["capacity"] == (2, 2, 4)
    assert state["shop-prod-v002"]["capacity"][1] == 0, "the new group is scaled down"
