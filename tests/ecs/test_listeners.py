"""The listeners that carry a load balancer's traffic: chosen by port or ARN, HTTPS with its
certificate; every other listener (an HTTP:80 that redirects to HTTPS) is never touched, whatever
order AWS lists them in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudrig import InvalidSpec, LoadBalancerSpec
from cloudrig.strategies import RedBlack

from .conftest import ACCOUNT, ECS, IMAGE_V1, IMAGE_V2, REGION

pytestmark = pytest.mark.moto

REDIRECT = {
    "Type": "redirect",
    "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
}


@pytest.fixture
def rig(moto_aws: Any, ecs_env: None, ecs_cluster: str, tmp_path: Path) -> Any:
    return ECS.connect(tmp_path, {"endpoint_url": moto_aws.url})


def alb_with_redirect(moto: Any) -> str:
    """ALB ``web`` whose first listener (HTTP:80) redirects to HTTPS: its ARN."""
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    lb = elb.create_load_balancer(Name="web", Subnets=subnets, Scheme="internal")
    arn: str = lb["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[REDIRECT])
    return arn


def by_port(moto: Any, lb_arn: str) -> dict[int, list[dict[str, Any]]]:
    listeners = moto.client("elbv2").describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    return {x["Port"]: x["DefaultActions"] for x in listeners}


def weights(actions: list[dict[str, Any]]) -> list[int]:
    return sorted(g["Weight"] for g in actions[0]["ForwardConfig"]["TargetGroups"])


def test_https_listener_carries_the_traffic_and_the_redirect_is_untouched(
    rig: Any, moto_aws: Any
) -> None:
    lb_arn = alb_with_redirect(moto_aws)
    certificate = moto_aws.client("acm").request_certificate(DomainName="shop.example.com")
    lb = rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(
            name="web",
            account=ACCOUNT,
            region=REGION,
            protocol="https",
            port=443,
            target_port=80,
            settings={"certificate_arn": certificate["CertificateArn"]},
        )
    )
    assert (lb.protocol, lb.port) == ("https", 443)
    https = moto_aws.client("elbv2").describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    (created,) = [x for x in https if x["Port"] == 443]
    assert created["Protocol"] == "HTTPS"
    assert [c["CertificateArn"] for c in created["Certificates"]] == [certificate["CertificateArn"]]
    for image in (IMAGE_V1, IMAGE_V2):
        rig.deploy(ECS.spec(REGION, image), RedBlack()).raise_for_status()
    listeners = by_port(moto_aws, lb_arn)
    (redirect,) = listeners[80]
    assert redirect["Type"] == "redirect", "the redirect is never rewritten"
    assert redirect["RedirectConfig"]["Port"] == "443"
    assert weights(listeners[443]) == [0, 100]


def test_listener_chosen_by_arn_takes_the_weights(rig: Any, moto_aws: Any) -> None:
    lb_arn = alb_with_redirect(moto_aws)
    elb = moto_aws.client("elbv2")
    vpc = moto_aws.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    other = elb.create_target_group(Name="legacy", Protocol="HTTP", Port=80, VpcId=vpc)
    other_arn = other["TargetGroups"][0]["TargetGroupArn"]
    legacy = elb.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": other_arn}],
    )["Listeners"][0]["ListenerArn"]
    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(
            name="web", account=ACCOUNT, region=REGION, settings={"listeners": [legacy]}
        )
    )
    rig.deploy(ECS.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    listeners = by_port(moto_aws, lb_arn)
    assert sorted(listeners) == [80, 8080], "no listener created on the spec's port"
    assert weights(listeners[8080]) == [100]
    assert listeners[80][0]["Type"] == "redirect"


def test_https_without_a_certificate_is_one_clear_error(rig: Any, moto_aws: Any) -> None:
    spec = LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION, protocol="https", port=443)
    with pytest.raises(InvalidSpec, match="certificate_arn"):
        rig.account(ACCOUNT).upsert_load_balancer(spec)
