"""With ``settings.provisioned_concurrency`` (opt-in, every test here sets it), a version's
capacity is its provisioned concurrency: put at create, changed by resize, kept by disable, deleted
by a scale-down to 0 and before the version is destroyed; health per provisioned environment. moto lacks the API: the proxy answers it (``support.aws.provisioned_concurrency``,
through the ``lambda_endpoint`` fixture), so every request still goes over HTTP through boto3 and
cloudrig's limiter."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import Capacity, Conflict, InvalidSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.provider import CreateServerGroup
from cloudrig.ratelimit import Limiter, fresh_reads
from cloudrig.strategies import Highlander, RedBlack
from cloudrig_lambda import LambdaFunctionSettings
from support.proxy import Respond, aws_json_throttle

from .conftest import ACCOUNT, LAMBDA, REGION, V1, V2, LambdaEndpoint, fast_limits, spec
from .test_functions import request as on_demand_request

pytestmark = pytest.mark.moto

PC = "/2019-09-30/functions/shop-prod/provisioned-concurrency"
PROVISIONED = {"provisioned_concurrency": True}


def request(artifact: str, role: str, sequence: int) -> CreateServerGroup:
    """A create request of group ``sequence`` in provisioned mode."""
    req = on_demand_request(artifact, role, sequence)
    return req.model_copy(
        update={"settings": LambdaFunctionSettings(role=role, provisioned_concurrency=True)}
    )


def sized(req: CreateServerGroup, capacity: Capacity) -> CreateServerGroup:
    return req.model_copy(update={"spec": req.spec.model_copy(update={"capacity": capacity})})


def states(group_or_instances: Any) -> list[tuple[str, ...]]:
    instances = getattr(group_or_instances, "instances", group_or_instances)
    return [
        (i.health.value, *(f"{d.source}={d.state.value}" for d in i.details)) for i in instances
    ]


@pytest.fixture
def limiter() -> Limiter:
    return Limiter(fast_limits())


@pytest.fixture
def provider(make_lambda_provider: Callable[..., Any], limiter: Limiter) -> Any:
    return make_lambda_provider(limiter=limiter)


def admitted(limiter: Limiter) -> int:
    return sum(s.admitted for s in limiter.stats().values())


def test_create_puts_one_config_on_the_new_version(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    proxy, model = lambda_endpoint.proxy, lambda_endpoint.provisioned
    on_demand = provider.server_groups.create(
        sized(request(code_zip(V1), lambda_role, 1), Capacity.fixed(0))
    )
    assert proxy.answered(f"PUT {PC}") == 0, "desired 0 is on demand only: no config"
    assert (on_demand.capacity, on_demand.instances) == (Capacity.fixed(0), ())
    warm = provider.server_groups.create(
        sized(request(code_zip(V2), lambda_role, 2), Capacity(min=1, desired=2, max=5))
    )
    assert proxy.answered(f"PUT {PC}") == 1
    assert {k: v.requested for k, v in model.configs().items()} == {("shop-prod", "2"): 2}
    assert warm.capacity == Capacity(min=1, desired=2, max=5)
    assert [i.id for i in warm.instances] == ["shop-prod:2/1", "shop-prod:2/2"]
    # A create retried after a crash between publish and put converges: the config comes back.
    provider.clients.client("lambda", REGION).raw.delete_provisioned_concurrency_config(
        FunctionName="shop-prod", Qualifier="2"
    )
    provider.functions.forget(REGION, warm.name)
    again = provider.server_groups.create(
        sized(request(code_zip(V2), lambda_role, 2), Capacity(min=1, desired=2, max=5))
    )
    assert again.capacity.desired == 2
    assert proxy.answered(f"PUT {PC}") == 2


def test_health_follows_the_allocation(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    """IN_PROGRESS: allocated environments Up, the others Starting; READY: Up; FAILED: Down
    with Lambda's reason. The version's own state is a source of every instance."""
    model = lambda_endpoint.provisioned
    model.ready_after_reads = None  # the test moves the allocation on
    group = provider.server_groups.create(
        sized(request(code_zip(V1), lambda_role, 1), Capacity.fixed(3))
    )
    starting = ("STARTING", "lambda=UP", "provisioned-concurrency=STARTING")
    assert states(group) == [starting] * 3
    model.allocate("shop-prod", "1", 1)
    with fresh_reads():
        health = provider.server_groups.health(REGION, group.name)
    up = ("UP", "lambda=UP", "provisioned-concurrency=UP")
    assert states(health) == [up, starting, starting]
    model.ready("shop-prod", "1")
    with fresh_reads():
        assert states(provider.server_groups.get(REGION, group.name)) == [up] * 3
        assert provider.server_groups.get(REGION, group.name).healthy == 3
    model.fail("shop-prod", "1", "FUNCTION_ERROR_INIT_FAILURE")
    with fresh_reads():
        health = provider.server_groups.health(REGION, group.name)
    assert states(health) == [("DOWN", "lambda=UP", "provisioned-concurrency=DOWN")] * 3
    assert "FUNCTION_ERROR_INIT_FAILURE" in health[0].details[1].description


def test_failed_verification_invoke_is_a_source_of_every_environment(
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
    )
    req = sized(request(code_zip(V1), lambda_role, 1), Capacity.fixed(2))
    req = req.model_copy(
        update={
            "settings": LambdaFunctionSettings(
                role=lambda_role, verify_payload={"ping": 1}, provisioned_concurrency=True
            )
        }
    )
    created = provider.server_groups.create(req)  # as the Put answered: still allocating
    allocating = ("DOWN", "lambda=UP", "provisioned-concurrency=STARTING", "invoke=DOWN")
    assert states(created) == [allocating] * 2
    with fresh_reads():
        group = provider.server_groups.get(REGION, created.name)
    assert states(group) == [("DOWN", "lambda=UP", "provisioned-concurrency=UP", "invoke=DOWN")] * 2
    # One verification invoke per health read, shared by the environments.
    assert lambda_endpoint.proxy.answered("POST /2015-03-31/functions/shop-prod/invocations") == 2


def test_resize_up_down_and_to_zero(
    provider: Any,
    limiter: Limiter,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    proxy, model = lambda_endpoint.proxy, lambda_endpoint.provisioned
    name = provider.server_groups.create(request(code_zip(V1), lambda_role, 1)).name
    for capacity in (Capacity(min=1, desired=3, max=4), Capacity.fixed(2)):
        provider.server_groups.resize(REGION, name, capacity)
        assert provider.server_groups.get(REGION, name).capacity == capacity
        assert model.configs()[("shop-prod", "1")].requested == capacity.desired
    puts = proxy.answered(f"PUT {PC}")
    assert puts == 3  # create, 3, 2
    provider.server_groups.resize(REGION, name, Capacity.fixed(2))  # already so: no write
    assert proxy.answered(f"PUT {PC}") == puts
    provider.server_groups.resize(REGION, name, Capacity(min=0, desired=0, max=2))
    assert model.configs() == {}
    assert proxy.answered(f"DELETE {PC}") == 1
    group = provider.server_groups.get(REGION, name)
    assert (group.capacity, group.instances) == (Capacity(min=0, desired=0, max=2), ())
    provider.server_groups.resize(REGION, name, Capacity(min=0, desired=0, max=2))
    assert proxy.answered(f"DELETE {PC}") == 1, "nothing to delete twice"
    # A change made outside cloudrig shows: desired is Lambda's number, the bounds widen.
    provider.clients.client("lambda", REGION).raw.put_provisioned_concurrency_config(
        FunctionName="shop-prod", Qualifier="1", ProvisionedConcurrentExecutions=5
    )
    with fresh_reads():
        assert provider.server_groups.get(REGION, name).capacity == Capacity(
            min=0, desired=5, max=5
        )
    provider.server_groups.destroy(REGION, name)
    assert model.configs() == {}
    assert proxy.forwarded() + proxy.answered() == admitted(limiter)


def test_resize_of_a_missing_group_is_not_found(provider: Any) -> None:
    from cloudrig import NotFound

    with pytest.raises(NotFound):
        provider.server_groups.resize(REGION, "shop-prod-v009", Capacity.fixed(1))


def test_disable_keeps_the_environments_and_scale_down_deletes_them(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    model = lambda_endpoint.provisioned
    first, second = (
        provider.server_groups.create(request(code_zip(v), lambda_role, n)).name
        for n, v in ((1, V1), (2, V2))
    )
    provider.server_groups.enable(REGION, first)
    provider.server_groups.enable(REGION, second)
    provider.server_groups.disable(REGION, first)
    group = provider.server_groups.get(REGION, first)
    assert not group.enabled
    assert (group.capacity.desired, len(group.instances)) == (1, 1)
    assert set(model.configs()) == {("shop-prod", "1"), ("shop-prod", "2")}
    provider.server_groups.resize(REGION, first, Capacity(min=0, desired=0, max=1))
    assert set(model.configs()) == {("shop-prod", "2")}


def test_bad_capacity_is_one_clear_error_naming_the_field(
    provider: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    lambda_endpoint.provisioned.account_limit = 10
    with pytest.raises(InvalidSpec, match=r"capacity\.desired 20 .*refused by Lambda") as info:
        provider.server_groups.create(
            sized(request(code_zip(V1), lambda_role, 1), Capacity.fixed(20))
        )
    assert "InvalidParameterValueException" in str(info.value)
    name = info.value.resource
    assert name == "shop-prod-v001"
    with pytest.raises(InvalidSpec, match=r"capacity\.desired 11 "):
        provider.server_groups.resize(REGION, name, Capacity.fixed(11))
    conflict = Respond(
        409,
        json.dumps({"Type": "User", "message": "An update is in progress"}).encode(),
        {"x-amzn-ErrorType": "ResourceConflictException", "Content-Type": "application/json"},
    )
    lambda_endpoint.proxy.add(conflict, method="PUT", path=PC + "$", times=1)
    with pytest.raises(Conflict, match=r"capacity\.desired 2 .*ResourceConflictException"):
        provider.server_groups.resize(REGION, name, Capacity.fixed(2))
    with pytest.raises(ValueError, match="min <= desired <= max"):
        Capacity(min=3, desired=2, max=4)


def test_throttled_put_is_retried_through_the_limiter(
    provider: Any,
    limiter: Limiter,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """Lambda throttles with 429 TooManyRequestsException: the Put (a state: safe to repeat)
    is retried by cloudrig's policy, every attempt admitted by the limiter."""
    proxy = lambda_endpoint.proxy
    rule = proxy.add(aws_json_throttle("TooManyRequestsException", 429), path=PC + "$", times=1)
    group = provider.server_groups.create(
        sized(request(code_zip(V1), lambda_role, 1), Capacity.fixed(2))
    )
    assert rule.fired == 1
    assert proxy.answered(f"PUT {PC}") == 2  # the throttled attempt and the retry
    assert group.capacity.desired == 2
    assert sum(s.throttles for s in limiter.stats().values()) == 1
    assert proxy.forwarded() + proxy.answered() == admitted(limiter)


def test_red_black_waits_for_ready_then_scales_the_old_version_down(
    lambda_endpoint: LambdaEndpoint,
    lambda_env: None,
    tmp_path: Path,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """The new version's environments are allocated before traffic moves to it; the previous
    version keeps its own until the scale-down deletes them."""
    model = lambda_endpoint.provisioned
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": lambda_endpoint.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role, **PROVISIONED), RedBlack()).raise_for_status()
    model.ready_after_reads = None
    seen: dict[str, str] = {}

    def on_event(event: Any) -> None:
        if event.kind == "waiting" and event.server_group == "shop-prod-v002":
            seen["waiting"] = model.configs()[("shop-prod", "2")].status
            threading.Timer(0.3, model.ready, ("shop-prod", "2")).start()
        if event.kind == "traffic_moved" and "at_switch" not in seen:
            seen["at_switch"] = model.configs()[("shop-prod", "2")].status
            seen["old_at_switch"] = model.configs()[("shop-prod", "1")].status

    deployment = rig.deploy(
        spec(code_zip(V2), lambda_role, **PROVISIONED),
        RedBlack(scale_down_after=0.1),
        on_event=on_event,
    )
    assert deployment.status is DeploymentStatus.SUCCEEDED, deployment.error
    assert seen == {"waiting": "IN_PROGRESS", "at_switch": "READY", "old_at_switch": "READY"}
    assert set(model.configs()) == {("shop-prod", "2")}, "the old version was scaled down"
    groups = {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}
    assert groups["shop-prod-v001"].capacity == Capacity(min=0, desired=0, max=1)
    assert groups["shop-prod-v002"].capacity == Capacity.fixed(1)


def test_highlander_deletes_the_old_versions_config_with_it(
    lambda_endpoint: LambdaEndpoint,
    lambda_env: None,
    tmp_path: Path,
    lambda_role: str,
    code_zip: Any,
) -> None:
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": lambda_endpoint.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role, **PROVISIONED), Highlander()).raise_for_status()
    rig.deploy(spec(code_zip(V2), lambda_role, **PROVISIONED), Highlander()).raise_for_status()
    assert set(lambda_endpoint.provisioned.configs()) == {("shop-prod", "2")}
    assert lambda_endpoint.proxy.answered(f"DELETE {PC}") == 1


def test_red_black_fails_when_the_allocation_fails(
    lambda_endpoint: LambdaEndpoint,
    lambda_env: None,
    tmp_path: Path,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """FAILED is Down: the new version never gets healthy, traffic stays on the previous one,
    and the core's restore scales the failed version back to 0 (its config deleted)."""
    model = lambda_endpoint.provisioned
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": lambda_endpoint.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role, **PROVISIONED), RedBlack()).raise_for_status()
    model.fail_next("shop-prod", "2", "FUNCTION_ERROR_INIT_FAILURE")
    deployment = rig.deploy(
        spec(code_zip(V2), lambda_role, **PROVISIONED), RedBlack(health_timeout=2)
    )
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    groups = {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert set(model.configs()) == {("shop-prod", "1")}
