"""The span tree and the metrics of a red/black on moto through the real AWS provider.

The cluster serves v1 (deployed by a rig without telemetry); a fresh rig with the plugin deploys
v2 through the fault proxy, which answers the first CreateAutoScalingGroup with AWS's throttling
error, under a mutation budget of 5/s (burst 1) so mutations wait for the limiter.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import HistogramDataPoint, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from cloudrig.engine import DeploymentEvent
from cloudrig.strategies import RedBlack
from support.proxy import Style, throttle

from .conftest import AMI_V2, Otel, connect, spec

pytestmark = pytest.mark.moto

# Before the deployment exists (its record is made from them): the account id, the snapshot of
# the cluster and its load balancer's target groups — spans of their own.
BEFORE = [
    (0, "sts.GetCallerIdentity"),
    (0, "autoscaling.DescribeAutoScalingGroups"),
    (0, "elasticloadbalancing.DescribeTargetGroups"),
]
DEPLOYMENT = [
    (0, "cloudrig.deployment"),
    (1, "cloudrig.step create-new"),
    (2, "ec2.DescribeSubnets"),
    (2, "ec2.CreateLaunchTemplate"),
    (2, "autoscaling.DescribeLifecycleHooks"),
    (2, "autoscaling.CreateAutoScalingGroup"),
    (2, "autoscaling.DescribePolicies"),
    (2, "autoscaling.DescribeScheduledActions"),
    (1, "cloudrig.step verify-new"),
    (2, "autoscaling.DescribeAutoScalingGroups"),
    (2, "elasticloadbalancing.DescribeTargetHealth"),
    (2, "autoscaling.DescribeAutoScalingGroups"),
    (2, "elasticloadbalancing.DescribeTargetHealth"),
    (1, "cloudrig.step enable-new"),
    (1, "cloudrig.step disable-old"),
    (2, "autoscaling.DescribeAutoScalingGroups"),
    (2, "autoscaling.SuspendProcesses"),
    (2, "autoscaling.DetachLoadBalancerTargetGroups"),
    (2, "autoscaling.DescribeAutoScalingGroups"),
]


def tree(spans: list[ReadableSpan]) -> list[tuple[int, str]]:
    """(depth, name), depth first in start order; roots are spans without a parent here."""
    ids = {s.context.span_id for s in spans}
    ordered = sorted(spans, key=lambda s: s.start_time or 0)
    out: list[tuple[int, str]] = []

    def walk(span: ReadableSpan, depth: int) -> None:
        out.append((depth, span.name))
        for child in ordered:
            if child.parent is not None and child.parent.span_id == span.context.span_id:
                walk(child, depth + 1)

    for span in ordered:
        if span.parent is None or span.parent.span_id not in ids:
            walk(span, 0)
    return out


def points(otel: Otel, name: str) -> list[Any]:
    data = otel.metrics.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def in_flight(otel: Otel) -> dict[str, int]:
    found: dict[str, int] = {}
    for point in points(otel, "cloudrig.deployments.in_flight"):
        assert isinstance(point, NumberDataPoint)
        found[str(point.attributes["cloudrig.deployment.state"])] = int(point.value)
    return found


def test_red_black_span_tree_and_metrics(
    serving_v1: None, moto_aws: Any, fault_proxy: Any, otel: Otel, tmp_path: Path
) -> None:
    proxy = fault_proxy(moto_aws.url)
    proxy.add(throttle(Style.AWS_QUERY), operation="CreateAutoScalingGroup", times=1)
    rig = connect(
        tmp_path,
        proxy.url,
        plugins=[otel.telemetry],
        mutate={"rate": 5, "burst": 1},
        cache={"ttl": 60},  # no read expires during the run: the tree does not depend on timing
    )
    during: list[dict[str, int]] = []

    def on_event(event: DeploymentEvent) -> None:
        if event.kind.value == "created":
            during.append(in_flight(otel))

    try:
        rig.deploy(spec(AMI_V2), RedBlack(), on_event=on_event).raise_for_status()
    finally:
        rig.close()

    spans = otel.finished()
    found = tree(spans)
    assert found == BEFORE + DEPLOYMENT, "\n".join("  " * d + n for d, n in found)
    deployment = next(s for s in spans if s.name == "cloudrig.deployment")
    assert deployment.parent is None
    deployment_id = deployment.attributes["cloudrig.deployment.id"]
    assert deployment.attributes["cloudrig.deployment.outcome"] == "done"
    kinds = [e.name for e in deployment.events]
    assert kinds[0] == "started", kinds
    assert kinds[-1] == "done", kinds
    assert "created" in kinds, kinds
    steps = {s.context.span_id: s for s in spans if s.name.startswith("cloudrig.step ")}
    assert [s.attributes["cloudrig.step.index"] for s in steps.values()] == [0, 1, 2, 3]
    for step in steps.values():
        assert step.parent is not None
        assert step.parent.span_id == deployment.context.span_id
        assert step.attributes["cloudrig.deployment.id"] == deployment_id
    requests = [s for s in spans if not s.name.startswith("cloudrig.")]
    assert len(requests) == 17
    for request in requests:
        attributes = request.attributes or {}
        assert request.kind is SpanKind.CLIENT
        assert attributes["cloud.provider"] == "aws"
        assert attributes["cloud.region"] == "us-east-1"
        assert f"{attributes['rpc.service']}.{attributes['rpc.method']}" == request.name
        method = str(attributes["rpc.method"])
        expected = "read" if method.startswith(("Describe", "Get")) else "mutate"
        assert attributes["cloudrig.call_class"] == expected
        assert attributes["cloudrig.request.outcome"] == "ok"
        assert "error.type" not in attributes
        if request.parent is None:  # one of BEFORE: ended before the deployment started
            assert "cloudrig.deployment.id" not in attributes
            assert (request.end_time or 0) <= (deployment.start_time or 0)
            continue
        step = steps[request.parent.span_id]  # every other request is under a step
        assert attributes["cloudrig.deployment.id"] == deployment_id
        assert attributes["cloudrig.step"] == step.attributes["cloudrig.step"]
        assert (step.start_time or 0) <= (request.start_time or 0)
        assert (request.end_time or 0) <= (step.end_time or 0)
    create = next(s for s in requests if s.name == "autoscaling.CreateAutoScalingGroup")
    assert create.attributes is not None
    assert create.attributes["cloudrig.request.requests"] == 2
    assert create.attributes["cloudrig.request.attempts"] == 2
    assert create.attributes["cloudrig.request.retries"] == 1
    assert create.attributes["cloudrig.request.throttled"] == 1
    sent = proxy.answered("CreateAutoScalingGroup") + proxy.forwarded("CreateAutoScalingGroup")
    assert sent == 2, "the span counts the requests the cloud saw"
    assert len(requests) == proxy.answered() + proxy.forwarded() - 1, "one span per call"
    waits = {s.name: float((s.attributes or {})["cloudrig.limiter.wait"]) for s in requests}
    mutations = [s for s in requests if (s.attributes or {})["cloudrig.call_class"] == "mutate"]
    assert sum(float((s.attributes or {})["cloudrig.limiter.wait"]) for s in mutations) > 0
    assert waits["sts.GetCallerIdentity"] == 0.0

    # Metrics: the same calls, counted.
    by_call = Counter(
        (str(p.attributes["rpc.method"]), str(p.attributes["cloudrig.request.outcome"]))
        for p in points(otel, "cloudrig.requests")
        for _ in range(int(p.value))
    )
    assert by_call == Counter((str((s.attributes or {})["rpc.method"]), "ok") for s in requests)
    throttled = points(otel, "cloudrig.requests.throttled")
    assert [(p.attributes["rpc.method"], p.value) for p in throttled] == [
        ("CreateAutoScalingGroup", 1)
    ]
    histogram = points(otel, "cloudrig.limiter.wait")
    assert all(isinstance(p, HistogramDataPoint) for p in histogram)
    assert sum(p.count for p in histogram) == len(requests)
    total_wait = sum(float((s.attributes or {})["cloudrig.limiter.wait"]) for s in requests)
    assert sum(p.sum for p in histogram) == pytest.approx(total_wait)
    assert during == [{"running": 1, "rolling_back": 0, "awaiting_approval": 0}]
    assert in_flight(otel) == {"running": 0, "rolling_back": 0, "awaiting_approval": 0}
