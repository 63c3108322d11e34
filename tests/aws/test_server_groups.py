"""AWS-specific server group behaviour on moto: disable/enable mechanics, health from the ASG
lifecycle and target health (the test infrastructure's target-health extension), crash recovery
of create, and — where moto models too little — injected Auto Scaling answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudrig import Capacity, Conflict, HealthState, NotFound
from cloudrig_aws.health import instances, lifecycle_state
from support.aws import Lifecycle
from support.proxy import Respond

from .conftest import REGION
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.moto


def web_arn(moto: Any) -> str:
    tgs = moto.client("elbv2").describe_target_groups(Names=["web"])["TargetGroups"]
    return str(tgs[0]["TargetGroupArn"])


def states(group: Any, source_prefix: str) -> list[HealthState]:
    return [
        d.state for i in group.instances for d in i.details if d.source.startswith(source_prefix)
    ]


@pytest.fixture
def provider(make_aws_provider: Callable[..., Any]) -> Any:
    p = make_aws_provider()
    upsert_load_balancer(p, "web")
    return p


def test_disable_suspends_and_detaches_then_enable_restores(provider: Any, moto_aws: Any) -> None:
    request = create_request("tog", sequence=1, load_balancers=("web",))
    provider.server_groups.create(request)
    provider.server_groups.disable(REGION, request.name)
    raw = moto_aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[request.name]
    )["AutoScalingGroups"][0]
    # Disable semantics (README, "Enable/disable"): out of traffic, no inherited scaling or
    # scheduled action resizes it; Launch and Terminate stay on (warm, and scale-down works).
    assert sorted(p["ProcessName"] for p in raw["SuspendedProcesses"]) == [
        "AddToLoadBalancer",
        "AlarmNotification",
        "ScheduledActions",
    ]
    assert raw["TargetGroupARNs"] == []
    health = moto_aws.client("elbv2").describe_target_health(TargetGroupArn=web_arn(moto_aws))
    assert health["TargetHealthDescriptions"] == [], "out of traffic: deregistered"
    group = provider.server_groups.get(REGION, request.name)
    assert not group.enabled
    assert len(group.instances) == 2
    assert {i.health for i in group.instances} == {HealthState.OUT_OF_SERVICE}
    # A disabled group can still be scaled down (the strategies' delayed scale-down).
    provider.server_groups.resize(REGION, request.name, Capacity(min=0, desired=0, max=2))
    assert provider.server_groups.get(REGION, request.name).capacity.desired == 0
    provider.server_groups.resize(REGION, request.name, Capacity.fixed(2))
    provider.server_groups.enable(REGION, request.name)
    group = provider.server_groups.get(REGION, request.name)
    assert group.enabled
    assert group.healthy == 2


def test_health_follows_target_health(provider: Any, moto_aws: Any) -> None:
    moto_aws.target_health.lifecycle(web_arn(moto_aws), Lifecycle(initial_for=1.0))
    request = create_request("hl", sequence=1, load_balancers=("web",))
    provider.server_groups.create(request)
    group = provider.server_groups.get(REGION, request.name)
    assert states(group, "target-group:web") == [HealthState.STARTING] * 2
    assert group.counts.starting == 2
    time.sleep(1.2)
    assert provider.server_groups.get(REGION, request.name).healthy == 2
    moto_aws.target_health.set(web_arn(moto_aws), "unhealthy")
    time.sleep(0.6)  # past the read cache
    group = provider.server_groups.get(REGION, request.name)
    assert group.counts.down == 2
    assert all("Target.FailedHealthChecks" in d.description for i in group.instances
               for d in i.details if d.source == "target-group:web")  # fmt: skip


@pytest.mark.parametrize(
    ("state", "expected"),
    [("healthy", HealthState.UP), ("initial", HealthState.STARTING),
     ("unused", HealthState.OUT_OF_SERVICE), ("draining", HealthState.DRAINING),
     ("unhealthy", HealthState.DOWN), ("unavailable", HealthState.DOWN)],
)  # fmt: skip
def test_target_health_states(state: str, expected: HealthState) -> None:
    group = {"Instances": [{"InstanceId": "i-1", "LifecycleState": "InService",
                            "HealthStatus": "Healthy"}], "CreatedTime": datetime.now(UTC)}  # fmt: skip
    (instance,) = instances(group, {"web": {"i-1": {"State": state}}}, enabled=True,
                            behind_load_balancers=True)  # fmt: skip
    assert instance.health is expected


def test_young_instances_without_data_are_starting() -> None:
    now = datetime.now(UTC)
    item = {"InstanceId": "i-1", "LifecycleState": "InService", "HealthStatus": "Healthy"}
    young = {"Instances": [item], "CreatedTime": now, "HealthCheckGracePeriod": 300}
    old = {**young, "CreatedTime": now - timedelta(hours=1)}
    (a,) = instances(young, {"web": {}}, enabled=True, behind_load_balancers=True)
    (b,) = instances(old, {"web": {}}, enabled=True, behind_load_balancers=True)
    assert (a.health, b.health) == (HealthState.STARTING, HealthState.OUT_OF_SERVICE)


@pytest.mark.parametrize(
    ("lifecycle", "status", "expected"),
    [("Pending", "Healthy", HealthState.STARTING), ("Pending:Wait", "Healthy", HealthState.STARTING),
     ("InService", "Healthy", HealthState.UP), ("InService", "Unhealthy", HealthState.DOWN),
     ("Terminating", "Healthy", HealthState.DOWN), ("Standby", "Healthy", HealthState.OUT_OF_SERVICE),
     ("Detaching", "Healthy", HealthState.OUT_OF_SERVICE), ("Weird", "Healthy", HealthState.UNKNOWN)],
)  # fmt: skip
def test_lifecycle_states(lifecycle: str, status: str, expected: HealthState) -> None:
    assert lifecycle_state(lifecycle, status) is expected


def captured_describe(provider: Any, name: str) -> bytes:
    """The XML moto answers to DescribeAutoScalingGroups, as botocore received it."""
    raw = provider.clients.client("autoscaling", REGION).raw
    seen: list[bytes] = []

    def capture(response_dict: dict[str, Any], **_: Any) -> None:
        seen.append(response_dict["body"])

    raw.meta.events.register("before-parse.auto-scaling.DescribeAutoScalingGroups", capture)
    raw.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    raw.meta.events.unregister("before-parse.auto-scaling.DescribeAutoScalingGroups", capture)
    return seen[0]


def test_lifecycles_moto_never_shows_via_injected_answers(
    make_aws_provider: Callable[..., Any], moto_aws: Any, fault_proxy: Callable[..., Any]
) -> None:
    """moto keeps every instance InService/Healthy and deletes groups at once; AWS answers with
    Pending and Unhealthy instances, and with groups 'Delete in progress'. botocore parses the
    injected answers exactly as AWS's."""
    proxy = fault_proxy(moto_aws.url)
    provider = make_aws_provider(endpoint_url=proxy.url)
    request = create_request("inj", sequence=1)
    provider.server_groups.create(request)
    body = captured_describe(provider, request.name).decode()
    first = body.replace("<LifecycleState>InService</LifecycleState>",
                         "<LifecycleState>Pending</LifecycleState>", 1)  # fmt: skip
    sick = body.replace("<HealthStatus>Healthy</HealthStatus>",
                        "<HealthStatus>Unhealthy</HealthStatus>")  # fmt: skip
    deleting = body.replace("<AutoScalingGroupName>",
                            "<Status>Delete in progress</Status><AutoScalingGroupName>", 1)  # fmt: skip
    xml = {"Content-Type": "text/xml"}
    for answer in (first, sick, deleting):
        proxy.add(
            Respond(200, answer.encode(), xml), operation="DescribeAutoScalingGroups", times=1
        )
    provider.server_groups.invalidate(REGION)
    group = provider.server_groups.get(REGION, request.name)
    assert sorted(i.health for i in group.instances) == [HealthState.STARTING, HealthState.UP]
    provider.server_groups.invalidate(REGION)
    assert provider.server_groups.get(REGION, request.name).counts.down == 2
    provider.server_groups.invalidate(REGION)
    with pytest.raises(NotFound):
        provider.server_groups.get(REGION, request.name)
    assert proxy.answered("DescribeAutoScalingGroups") == 3


def test_create_finishes_after_a_crash_between_template_and_group(
    provider: Any, moto_aws: Any
) -> None:
    """A worker died after CreateLaunchTemplate: the retry finds its own template (same
    moniker and deployment id in the template's tags) and creates the group; a template of
    another deployment is a Conflict, never adopted."""
    request = create_request("crash", sequence=3, deployment_id="dep-7")
    provider.server_groups.create(request)
    moto_aws.client("autoscaling").delete_auto_scaling_group(
        AutoScalingGroupName=request.name, ForceDelete=True
    )
    group = provider.server_groups.create(request)
    assert group.deployment_id == "dep-7"
    assert provider.server_groups.get(REGION, request.name).deployment_id == "dep-7"
    moto_aws.client("autoscaling").delete_auto_scaling_group(
        AutoScalingGroupName=request.name, ForceDelete=True
    )
    with pytest.raises(Conflict, match="not adopted"):
        provider.server_groups.create(create_request("crash", sequence=3, deployment_id="other"))
