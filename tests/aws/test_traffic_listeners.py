"""Weighted splits that touch only the cluster's forward actions (default or rule) on the
listeners the load balancer's settings select, HTTPS listeners with their certificate, and
per-version target groups per load balancer, deleted with their group — all on the strict
target, checked in moto's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import InvalidSpec, LoadBalancerSpec, TrafficWeights
from cloudrig_aws import AwsLoadBalancerSettings

from .conftest import REGION
from .scenario import create_request

pytestmark = pytest.mark.moto


def upsert(provider: Any, name: str, **settings: Any) -> None:
    spec = LoadBalancerSpec(name=name, account="aws-test", region=REGION)
    provider.load_balancers.upsert(spec, AwsLoadBalancerSettings(**settings))


def lb_arn(moto: Any, name: str) -> str:
    elb = moto.client("elbv2")
    return str(elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]["LoadBalancerArn"])


def tg_arn(moto: Any, name: str) -> str:
    elb = moto.client("elbv2")
    return str(elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"])


def targets(action: dict[str, Any]) -> dict[str, int]:
    """``{target group name: weight}`` of a forward action."""
    config = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {t["TargetGroupArn"].split("/")[1]: t.get("Weight", 1) for t in config}


def listeners(moto: Any, lb: str) -> dict[int, dict[str, Any]]:
    found = moto.client("elbv2").describe_listeners(LoadBalancerArn=lb_arn(moto, lb))
    return {x["Port"]: x for x in found["Listeners"]}


def rule_actions(moto: Any, listener_arn: str) -> dict[str, dict[str, Any]]:
    """``{path pattern: first action}`` of the listener's non-default rules."""
    found = moto.client("elbv2").describe_rules(ListenerArn=listener_arn)["Rules"]
    return {
        r["Conditions"][0]["Values"][0]: r["Actions"][0] for r in found if not r.get("IsDefault")
    }


def two_versions(provider: Any, lbs: tuple[str, ...] = ("web",)) -> tuple[str, str]:
    names = []
    for sequence in (1, 2):
        request = create_request("lst", sequence=sequence, load_balancers=lbs)
        provider.server_groups.create(request)
        names.append(request.name)
    return names[0], names[1]


def test_split_moves_only_the_clusters_forwards(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    """An HTTP:81 redirect, a rule forwarding elsewhere and a fixed response stay as they are;
    the default forward and the rule forwarding to the cluster take the weights."""
    provider = make_aws_provider()
    upsert(provider, "web")
    elb = moto_aws.client("elbv2")
    lb = lb_arn(moto_aws, "web")
    vpc = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["VpcId"]
    other = elb.create_target_group(Name="other", Protocol="HTTP", Port=8080, VpcId=vpc)
    other_arn = other["TargetGroups"][0]["TargetGroupArn"]
    redirect = {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=81, DefaultActions=[redirect])
    http = listeners(moto_aws, "web")[80]["ListenerArn"]
    for priority, path, action in (
        (10, "/api/*", {"Type": "forward", "TargetGroupArn": tg_arn(moto_aws, "web")}),
        (20, "/other/*", {"Type": "forward", "TargetGroupArn": other_arn}),
    ):
        elb.create_rule(
            ListenerArn=http,
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "Values": [path]}],
            Actions=[action],
        )
    a, b = two_versions(provider)
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 70, b: 30}))
    found = listeners(moto_aws, "web")
    assert sorted(targets(found[80]["DefaultActions"][0]).values()) == [30, 70]
    assert found[81]["DefaultActions"][0]["Type"] == "redirect", "a redirect is not a forward"
    rules = rule_actions(moto_aws, http)
    assert sorted(targets(rules["/api/*"]).values()) == [30, 70], "rule-routed traffic splits"
    assert targets(rules["/other/*"]) == {"other": 1}, "someone else's forward is untouched"
    assert dict(provider.traffic.get_weights(REGION, [a, b]).weights) == {a: 70, b: 30}
    # Ending the split puts back the cluster's forwards only.
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 0, b: 100}))
    found = listeners(moto_aws, "web")
    assert targets(found[80]["DefaultActions"][0]) == {"web": 1}
    assert found[81]["DefaultActions"][0]["Type"] == "redirect"
    rules = rule_actions(moto_aws, http)
    assert targets(rules["/api/*"]) == {"web": 1}
    assert targets(rules["/other/*"]) == {"other": 1}


def test_traffic_listeners_setting_selects_the_listeners(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_aws_provider()
    upsert(provider, "web", traffic_listeners=(80,))
    elb = moto_aws.client("elbv2")
    forward = [{"Type": "forward", "TargetGroupArn": tg_arn(moto_aws, "web")}]
    elb.create_listener(
        LoadBalancerArn=lb_arn(moto_aws, "web"), Protocol="HTTP", Port=8080, DefaultActions=forward
    )
    a, b = two_versions(provider)
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 50, b: 50}))
    found = listeners(moto_aws, "web")
    assert sorted(targets(found[80]["DefaultActions"][0]).values()) == [50, 50]
    assert targets(found[8080]["DefaultActions"][0]) == {"web": 1}, "not selected: untouched"


def test_https_listener_carries_its_certificate(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_aws_provider()
    spec = LoadBalancerSpec(
        name="secure", account="aws-test", region=REGION, protocol="https", port=443
    )
    with pytest.raises(InvalidSpec, match=r"needs settings\.certificate_arn"):
        provider.load_balancers.upsert(spec, AwsLoadBalancerSettings())
    certificate = moto_aws.client("acm").request_certificate(DomainName="shop.example.com")[
        "CertificateArn"
    ]
    settings = AwsLoadBalancerSettings(
        certificate_arn=certificate, ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06"
    )
    provider.load_balancers.upsert(spec, settings)
    listener = listeners(moto_aws, "secure")[443]
    assert listener["Protocol"] == "HTTPS"
    assert [c["CertificateArn"] for c in listener["Certificates"]] == [certificate]
    renewed = moto_aws.client("acm").request_certificate(DomainName="shop.example.com")[
        "CertificateArn"
    ]
    provider.load_balancers.upsert(spec, AwsLoadBalancerSettings(certificate_arn=renewed))
    listener = listeners(moto_aws, "secure")[443]
    assert [c["CertificateArn"] for c in listener["Certificates"]] == [renewed]


def test_group_behind_two_load_balancers_splits_and_destroy_deletes_its_target_groups(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    """A target group serves one load balancer: each gets its own per-version target groups,
    and destroying a group deletes the ones a split gave it."""
    provider = make_aws_provider()
    upsert(provider, "web")
    upsert(provider, "api")
    a, b = two_versions(provider, ("web", "api"))
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 40, b: 60}))
    web, api = (targets(listeners(moto_aws, n)[80]["DefaultActions"][0]) for n in ("web", "api"))
    assert sorted(web.values()) == sorted(api.values()) == [40, 60]
    assert not set(web) & set(api), "no target group behind two load balancers"
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 0, b: 100}))
    provider.server_groups.destroy(REGION, a)
    provider.server_groups.destroy(REGION, b)
    left = moto_aws.client("elbv2").describe_target_groups()["TargetGroups"]
    assert sorted(t["TargetGroupName"] for t in left) == ["api", "web"]
