"""What the ECS provider reads, and what it knows without reading: write answers put into the
limiter's read cache, the cluster listing shared, no read-back after create, and the in-process
memory of a create's task definition (with destroy cleaning up every revision of the family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import LoadBalancerSpec, ProviderFailure, TrafficWeights
from cloudrig.ratelimit import Limiter
from cloudrig_ecs import EcsLoadBalancerSettings
from support.proxy import Style, server_error

from .conftest import CLUSTER, REGION, fast_limits
from .test_server_groups import request

pytestmark = pytest.mark.moto

_SLOW_CACHE = {"cache": {"ttl": 60.0}}  # long enough that no answer expires during a test


def labels(moto: Any) -> list[str]:
    return [r.label for r in moto.requests()]


def with_web(provider: Any) -> None:
    provider.load_balancers.upsert(
        LoadBalancerSpec(name="web", account="ecs-test", region=REGION),
        EcsLoadBalancerSettings(),
    )


def test_a_put_answers_the_read_of_its_key(make_ecs_provider: Callable[..., Any]) -> None:
    provider = make_ecs_provider()
    ecs = provider.clients.client("ecs", REGION)

    def unreachable() -> Any:
        raise AssertionError("a put answer must serve the read")

    ecs.put(("probe", 1), {"answer": 42})
    assert ecs.read(("probe", 1), unreachable) == {"answer": 42}


def test_create_reads_nothing_back_and_the_switch_answer_is_reused(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider(limiter=Limiter(fast_limits(**_SLOW_CACHE)))
    with_web(provider)
    req = request(lbs=("web",))
    moto_aws.clear_requests()
    group = provider.server_groups.create(req)
    sent = labels(moto_aws)
    after = sent[sent.index("CreateService") + 1 :]
    assert "DescribeServices" not in after, sent
    assert "DescribeListeners" not in after, sent
    assert "ListTaskDefinitions" not in sent, sent
    assert "DescribeTargetGroups" not in sent, sent
    assert (group.name, group.enabled, group.load_balancers) == (req.name, False, ("web",))

    provider.traffic.set_weights(REGION, TrafficWeights(weights={req.name: 100}))
    moto_aws.clear_requests()
    assert provider.traffic.get_weights(REGION, [req.name]).weights == {req.name: 100}
    assert provider.server_groups.get(REGION, req.name).enabled
    assert "DescribeListeners" not in labels(moto_aws), "ModifyListener's answer serves the read"


def test_the_cluster_listing_is_shared_and_a_create_shows_in_it(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider(limiter=Limiter(fast_limits(**_SLOW_CACHE)))
    first = provider.server_groups.create(request(detail="a", desired=1))
    moto_aws.clear_requests()
    assert [g.name for g in provider.server_groups.list("shop")] == [first.name]
    assert [g.name for g in provider.server_groups.list("shop")] == [first.name]
    assert labels(moto_aws).count("ListServices") == 1, labels(moto_aws)
    second = provider.server_groups.create(request(detail="b", desired=1))
    names = sorted(g.name for g in provider.server_groups.list("shop"))
    assert names == sorted([first.name, second.name]), "a create is never hidden by the cache"
    provider.server_groups.destroy(REGION, second.name)
    assert [g.name for g in provider.server_groups.list("shop")] == [first.name]


def test_a_retried_create_reuses_its_task_definition(
    make_ecs_provider: Callable[..., Any], moto_aws: Any, fault_proxy: Callable[..., Any]
) -> None:
    proxy = fault_proxy(moto_aws.url)
    provider = make_ecs_provider(endpoint_url=proxy.url)
    req = request(desired=1)
    proxy.add(server_error(Style.AWS_JSON, 500), operation="CreateService")
    with pytest.raises(ProviderFailure):  # past every retry
        provider.server_groups.create(req)
    proxy.clear_rules()
    assert provider.server_groups.create(req).name == req.name
    revisions = moto_aws.client("ecs").list_task_definitions(familyPrefix=req.name)
    assert len(revisions["taskDefinitionArns"]) == 1, "the retry registered no second revision"


def test_destroy_deregisters_every_revision_of_the_family(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    req = request(desired=1)
    provider.server_groups.create(req)
    ecs = moto_aws.client("ecs")
    ecs.register_task_definition(  # as a deployment resumed by another process would
        family=req.name,
        containerDefinitions=[{"name": "app", "image": "x", "memory": 512}],
    )
    provider.server_groups.destroy(REGION, req.name)
    left = ecs.list_task_definitions(familyPrefix=req.name, status="ACTIVE")
    assert left["taskDefinitionArns"] == []
    services = ecs.describe_services(cluster=CLUSTER, services=[req.name])["services"]
    assert all(s["status"] != "ACTIVE" for s in services)
