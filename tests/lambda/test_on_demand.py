"""The default capacity mode, on demand: a version is one instance whose health is its state and
the verification invoke; its capacity is recorded by cloudrig (0 = scaled down, 1 = serving-capable,
above 1 refused), and nothing touches the provisioned concurrency API. The mode is recorded in the
version, so any process reads each version in its own mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import Capacity, InvalidSpec
from cloudrig.ratelimit import fresh_reads
from cloudrig_lambda import LambdaFunctionSettings
from support.proxy import Respond

from .conftest import REGION, LambdaEndpoint
from .test_functions import V1, V2, request

pytestmark = pytest.mark.moto

PC = "/2019-09-30/functions/shop-prod/provisioned-concurrency"
INVOKE = "POST /2015-03-31/functions/shop-prod/invocations"


@pytest.fixture
def provider(make_lambda_provider: Callable[..., Any]) -> Any:
    return make_lambda_provider()


def provisioned_calls(endpoint: LambdaEndpoint) -> dict[str, int]:
    return {k: v for k, v in endpoint.proxy.counts()["answered"].items() if PC in k}


def writes(endpoint: LambdaEndpoint) -> dict[str, int]:
    counts = endpoint.proxy.counts()
    return {
        k: v
        for kind in ("forwarded", "answered")
        for k, v in counts[kind].items()
        if not k.startswith("GET ")
    }


def sized(req: Any, capacity: Capacity) -> Any:
    return req.model_copy(update={"spec": req.spec.model_copy(update={"capacity": capacity})})


def test_a_version_is_one_instance_gated_by_state_and_verification(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    lambda_endpoint.proxy.add(
        Respond(
            200,
            json.dumps({"errorMessage": "boom", "errorType": "Exception"}).encode(),
            {"X-Amz-Function-Error": "Unhandled", "Content-Type": "application/json"},
        ),
        method="POST",
        path=r"/functions/shop-prod/invocations$",
        times=1,
    )
    req = request(code_zip(V1), lambda_role, 1)
    req = req.model_copy(
        update={"settings": LambdaFunctionSettings(role=lambda_role, verify_payload={"ping": 1})}
    )
    created = provider.server_groups.create(req)
    assert created.capacity == Capacity.fixed(1)
    (instance,) = created.instances
    assert instance.id == "shop-prod:1"
    assert [(d.source, d.state.value) for d in instance.details] == [
        ("lambda", "UP"),
        ("invoke", "DOWN"),
    ]
    assert instance.health.value == "DOWN"
    with fresh_reads():
        (healthy,) = provider.server_groups.health(REGION, created.name)
    assert [(d.source, d.state.value) for d in healthy.details] == [
        ("lambda", "UP"),
        ("invoke", "UP"),
    ]
    assert lambda_endpoint.proxy.forwarded(INVOKE) == 1  # the second, not the injected one
    assert provisioned_calls(lambda_endpoint) == {}, "on demand never asks for (paid) capacity"


def test_desired_above_one_is_refused_naming_the_field_and_the_setting(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any, moto_aws: Any
) -> None:
    with pytest.raises(InvalidSpec) as refused:
        provider.server_groups.create(
            sized(request(code_zip(V1), lambda_role, 1), Capacity(min=1, desired=2, max=3))
        )
    message = str(refused.value)
    assert "capacity.desired 2" in message
    assert "settings.provisioned_concurrency" in message
    assert refused.value.resource == "shop-prod-v001"
    assert writes(lambda_endpoint) == {}, "refused before anything was created"
    assert moto_aws.client("lambda").list_functions()["Functions"] == []
    name = provider.server_groups.create(request(code_zip(V1), lambda_role, 1)).name
    lambda_endpoint.proxy.clear_counts()
    with pytest.raises(InvalidSpec, match=r"capacity\.desired 3 .*provisioned_concurrency"):
        provider.server_groups.resize(REGION, name, Capacity.fixed(3))
    assert writes(lambda_endpoint) == {}
    assert provider.server_groups.get(REGION, name).capacity == Capacity.fixed(1)


def test_resize_one_zero_one_writes_only_the_capacity_tag(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    name = provider.server_groups.create(request(code_zip(V1), lambda_role, 1)).name
    proxy = lambda_endpoint.proxy
    proxy.clear_counts()
    tag = (
        "POST /2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ashop-prod"
    )
    down = Capacity(min=0, desired=0, max=1)
    provider.server_groups.resize(REGION, name, down)
    group = provider.server_groups.get(REGION, name)
    assert (group.capacity, group.instances) == (down, ())
    assert writes(lambda_endpoint) == {tag: 1}
    provider.server_groups.resize(REGION, name, down)  # already so: nothing written
    assert writes(lambda_endpoint) == {tag: 1}
    provider.server_groups.resize(REGION, name, Capacity(min=1, desired=1, max=4))
    group = provider.server_groups.get(REGION, name)
    assert group.capacity == Capacity(min=1, desired=1, max=4)
    assert [i.id for i in group.instances] == ["shop-prod:1"]
    assert group.healthy == 1
    assert writes(lambda_endpoint) == {tag: 2}
    assert provisioned_calls(lambda_endpoint) == {}
    # A listing reads the same recorded capacity, and no provisioned concurrency either.
    (listed,) = provider.server_groups.list("shop", REGION)
    assert listed.capacity == Capacity(min=1, desired=1, max=4)
    provider.server_groups.destroy(REGION, name)
    assert provisioned_calls(lambda_endpoint) == {}


def test_each_version_is_read_back_in_its_own_mode(
    make_lambda_provider: Callable[..., Any],
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """Version 1 on demand, version 2 provisioned, in one function: another provider instance
    (another process: nothing remembered) reads each in the mode its description records."""
    writer = make_lambda_provider()
    first = writer.server_groups.create(request(code_zip(V1), lambda_role, 1)).name
    second_req = sized(request(code_zip(V2), lambda_role, 2), Capacity.fixed(2))
    second_req = second_req.model_copy(
        update={"settings": LambdaFunctionSettings(role=lambda_role, provisioned_concurrency=True)}
    )
    second = writer.server_groups.create(second_req).name
    reader = make_lambda_provider()
    groups = {g.name: g for g in reader.server_groups.list("shop", REGION)}
    assert [i.id for i in groups[first].instances] == ["shop-prod:1"]
    assert [i.id for i in groups[second].instances] == ["shop-prod:2/1", "shop-prod:2/2"]
    assert (groups[first].capacity, groups[second].capacity) == (
        Capacity.fixed(1),
        Capacity.fixed(2),
    )
    assert reader.functions.require(REGION, first).facts.provisioned is False
    assert reader.functions.require(REGION, second).facts.provisioned is True
    # Resizes follow the version's mode, not a setting of the reader.
    reader.server_groups.resize(REGION, second, Capacity.fixed(3))
    assert lambda_endpoint.provisioned.configs()[("shop-prod", "2")].requested == 3
    with pytest.raises(InvalidSpec, match="provisioned_concurrency"):
        reader.server_groups.resize(REGION, first, Capacity.fixed(3))
