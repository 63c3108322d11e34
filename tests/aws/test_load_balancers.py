"""Load balancers (ALB/NLB + target group + listener), exact weighted splits over per-version
target groups, and security groups with CIDR and group-to-group rules — all upserts idempotent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import IngressRule, InvalidSpec, LoadBalancerSpec, SecurityGroupSpec, TrafficWeights
from cloudrig_aws import AwsLoadBalancerSettings, AwsSecurityGroupSettings

from .conftest import REGION
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.moto


@pytest.fixture
def provider(make_aws_provider: Callable[..., Any]) -> Any:
    p = make_aws_provider()
    upsert_load_balancer(p, "web")
    return p


def listener_targets(moto: Any, lb: str) -> dict[str, int]:
    elb = moto.client("elbv2")
    arn = elb.describe_load_balancers(Names=[lb])["LoadBalancers"][0]["LoadBalancerArn"]
    action = elb.describe_listeners(LoadBalancerArn=arn)["Listeners"][0]["DefaultActions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {g["TargetGroupArn"].split("/")[1]: g.get("Weight", 1) for g in groups}


def three_groups(provider: Any) -> list[str]:
    names = []
    for sequence in (1, 2, 3):
        request = create_request("split", sequence=sequence, load_balancers=("web",))
        provider.server_groups.create(request)
        names.append(request.name)
    return names


def test_three_way_split_is_exact_and_enable_ends_it(provider: Any, moto_aws: Any) -> None:
    a, b, c = three_groups(provider)
    weights = {a: 50, b: 30, c: 20}
    provider.traffic.set_weights(REGION, TrafficWeights(weights=weights))
    assert dict(provider.traffic.get_weights(REGION, [a, b, c]).weights) == weights
    targets = listener_targets(moto_aws, "web")
    assert sorted(targets.values()) == [20, 30, 50]
    assert all(name.startswith("w-") for name in targets), "per-version target groups"
    # A weight of 0 takes a group out of traffic (and disables it).
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 0, b: 60, c: 40}))
    assert not provider.server_groups.get(REGION, a).enabled
    assert dict(provider.traffic.get_weights(REGION, [b, c]).weights) == {b: 60, c: 40}
    # Disabling a group of a split ends the split: the shared target group carries traffic again.
    provider.server_groups.disable(REGION, c)
    assert listener_targets(moto_aws, "web") == {"web": 1}
    assert dict(provider.traffic.get_weights(REGION, [b]).weights) == {b: 100}
    raw = moto_aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[a, b, c]
    )["AutoScalingGroups"]
    attached = {g["AutoScalingGroupName"]: len(g["TargetGroupARNs"]) for g in raw}
    assert attached == {a: 0, b: 1, c: 0}, "per-version target groups detached"


def test_shared_target_group_shares_follow_instances(provider: Any) -> None:
    a, b, c = three_groups(provider)
    provider.server_groups.disable(REGION, c)
    assert dict(provider.traffic.get_weights(REGION, [a, b]).weights) == {a: 50, b: 50}


def test_more_than_five_groups_cannot_be_split(provider: Any) -> None:
    weights = {f"g-v00{i}": 100 // 6 + (4 if i == 0 else 0) for i in range(6)}
    with pytest.raises(InvalidSpec, match="at most 5"):
        provider.traffic.set_weights(REGION, TrafficWeights(weights=weights))


def test_network_load_balancer_takes_no_split(make_aws_provider: Callable[..., Any]) -> None:
    provider = make_aws_provider()
    spec = LoadBalancerSpec(
        name="tcp", account="aws-test", region=REGION, protocol="tcp", port=9000
    )
    lb = provider.load_balancers.upsert(spec, AwsLoadBalancerSettings(type="network"))
    assert (lb.name, lb.protocol, lb.port) == ("tcp", "tcp", 9000)
    assert provider.load_balancers.get(REGION, "tcp").protocol == "tcp"
    names = []
    for sequence in (1, 2):
        request = create_request("nlb", sequence=sequence, load_balancers=("tcp",))
        provider.server_groups.create(request)
        names.append(request.name)
    with pytest.raises(InvalidSpec, match="network load balancer"):
        provider.traffic.set_weights(REGION, TrafficWeights(weights={names[0]: 50, names[1]: 50}))
    provider.traffic.set_weights(REGION, TrafficWeights(weights={names[0]: 0, names[1]: 100}))
    assert [provider.server_groups.get(REGION, n).enabled for n in names] == [False, True]


def test_upsert_keeps_a_live_split(provider: Any, moto_aws: Any) -> None:
    a, b, _ = three_groups(provider)
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 70, b: 30}))
    upsert_load_balancer(provider, "web")
    assert sorted(listener_targets(moto_aws, "web").values()) == [30, 70]


def test_security_groups_cidr_and_group_rules_converge(provider: Any, moto_aws: Any) -> None:
    settings = AwsSecurityGroupSettings()

    def upsert(name: str, *rules: IngressRule) -> Any:
        spec = SecurityGroupSpec(name=name, account="aws-test", region=REGION, ingress=rules)
        return provider.security_groups.upsert(spec, settings)

    lb_group = upsert("web-lb", IngressRule(from_port=443, to_port=443, cidrs=("0.0.0.0/0",)))
    app_rules = (
        IngressRule(from_port=8080, to_port=8080, source_groups=("web-lb",)),
        IngressRule(from_port=22, to_port=22, cidrs=("10.0.0.0/8",)),
    )
    app = upsert("web-app", *app_rules)
    got = provider.security_groups.get(REGION, "web-app")
    assert got.id == app.id
    assert any(lb_group.id in r.source_groups and r.from_port == 8080 for r in got.ingress)
    moto_aws.clear_requests()
    assert upsert("web-app", *app_rules).id == app.id
    changes = moto_aws.request_count("AuthorizeSecurityGroupIngress") + moto_aws.request_count(
        "RevokeSecurityGroupIngress"
    )
    assert changes == 0, "an unchanged upsert changes nothing"
    upsert("web-app", app_rules[0])  # the ssh rule goes
    rules = provider.security_groups.get(REGION, "web-app").ingress
    assert [r.from_port for r in rules] == [8080]
    with pytest.raises(InvalidSpec, match="does not exist"):
        upsert("web-x", IngressRule(from_port=1, to_port=1, source_groups=("nope",)))


def test_second_upsert_changes_nothing(provider: Any, moto_aws: Any) -> None:
    moto_aws.clear_requests()
    upsert_load_balancer(provider, "web")
    operations = [r.operation or "" for r in moto_aws.requests()]
    assert operations, "the upsert reads what exists"
    assert all(op.startswith("Describe") for op in operations), operations
    spec = LoadBalancerSpec(
        name="web", account="aws-test", region=REGION, health_check={"path": "/ready"}
    )
    provider.load_balancers.upsert(spec, AwsLoadBalancerSettings())
    tg = moto_aws.client("elbv2").describe_target_groups(Names=["web"])["TargetGroups"][0]
    assert tg["HealthCheckPath"] == "/ready"


def test_security_groups_are_per_vpc(provider: Any, moto_aws: Any) -> None:
    """A group name is unique per VPC only: an upsert in another VPC creates its own group
    instead of adopting the default VPC's, and a lookup that cannot tell them apart refuses."""
    from cloudrig import Conflict

    ec2 = moto_aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    spec = SecurityGroupSpec(name="app", account="aws-test", region=REGION)
    default = provider.security_groups.upsert(spec, AwsSecurityGroupSettings())
    ours = provider.security_groups.upsert(spec, AwsSecurityGroupSettings(vpc_id=vpc))
    assert ours.id != default.id
    found = ec2.describe_security_groups(GroupIds=[ours.id])["SecurityGroups"][0]
    assert found["VpcId"] == vpc
    assert provider.security_groups.upsert(spec, AwsSecurityGroupSettings(vpc_id=vpc)).id == ours.id
    with pytest.raises(Conflict, match="several VPCs"):
        provider.security_groups.get(REGION, "app")
