"""What the template does beyond the conformance kit: metadata in the create call, traffic on load
balancers, health sources, names, configuration, and the example cloud as a process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from example_cloud import ExampleCloud

import cloudrig
from cloudrig import (
    Capacity,
    ConfigError,
    Conflict,
    HealthState,
    InvalidSpec,
    LoadBalancerSpec,
    Moniker,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig.provider import CreateServerGroup, NoSettings, ServerGroupMetadata
from cloudrig_example import ExampleLoadBalancerSettings, ExampleServerGroupSettings
from cloudrig_example.naming import NAMING
from cloudrig_example.provider import ExampleProvider

REGION = "eu-west"


def _request(
    moniker: Moniker, *, lbs: tuple[str, ...] = (), artifact: str = "img-1", **spec: Any
) -> CreateServerGroup:
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=ServerGroupSpec(
            moniker=moniker,
            account="example-test",
            region=spec.pop("region", REGION),
            artifact=artifact,
            capacity=spec.pop("capacity", Capacity.fixed(2)),
            load_balancers=lbs,
            **spec,
        ),
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id="dep-1"),
        settings=ExampleServerGroupSettings(instance_type="medium"),
    )


def _lb(provider: ExampleProvider, name: str = "shop-front") -> str:
    spec = LoadBalancerSpec(name=name, account="example-test", region=REGION)
    return provider.load_balancers.upsert(spec, ExampleLoadBalancerSettings()).name


def _wait_up(provider: ExampleProvider, name: str) -> ServerGroup:
    deadline = time.monotonic() + 5
    while (group := provider.server_groups.get(REGION, name)).healthy < group.capacity.desired:
        assert time.monotonic() < deadline, f"{name} never became healthy: {group.counts}"
        time.sleep(0.05)
    return group


def test_metadata_is_written_in_the_create_call_itself(
    example_cloud: ExampleCloud, provider: ExampleProvider
) -> None:
    moniker = Moniker(app="shop", stack="prod", sequence=3)
    provider.server_groups.create(_request(moniker, tags={"team": "payments"}))
    assert [r[0] for r in example_cloud.requests] == ["POST"], "one call, no tagging afterwards"
    stored = example_cloud.state.get_server_group(REGION, "shop-prod-v003")
    assert stored["tags"] == {
        "team": "payments",
        "cloudrig:app": "shop",
        "cloudrig:stack": "prod",
        "cloudrig:detail": "",
        "cloudrig:sequence": "3",
        "cloudrig:deployment-id": "dep-1",
    }
    assert stored["instance_type"] == "medium"
    group = provider.server_groups.get(REGION, "shop-prod-v003")
    assert group.tags == {"team": "payments"}, "cloudrig's own tags are not the user's"


def test_reserved_tags_are_refused_before_any_request(
    example_cloud: ExampleCloud, provider: ExampleProvider
) -> None:
    request = _request(Moniker(app="shop", sequence=1), tags={"cloudrig:app": "other"})
    with pytest.raises(InvalidSpec, match="reserved"):
        provider.server_groups.create(request)
    assert list(example_cloud.requests) == []


def test_instances_boot_then_serve_and_stay_warm_when_disabled(provider: ExampleProvider) -> None:
    lb = _lb(provider)
    created = provider.server_groups.create(_request(Moniker(app="shop", sequence=1), lbs=(lb,)))
    name = created.name
    assert created.counts.starting == 2, "instances boot first"
    before = _wait_up(provider, name)
    sources = {d.source for i in before.instances for d in i.details}
    assert sources == {"instance", "load-balancer"}
    provider.server_groups.disable(REGION, name)
    after = provider.server_groups.get(REGION, name)
    assert {i.id for i in after.instances} == {i.id for i in before.instances}
    assert {i.health for i in after.instances} == {HealthState.OUT_OF_SERVICE}


def test_a_failed_boot_is_down(example_cloud: ExampleCloud, provider: ExampleProvider) -> None:
    example_cloud.fail_boot("broken-image")
    request = _request(Moniker(app="shop", sequence=1), artifact="broken-image")
    name = provider.server_groups.create(request).name
    time.sleep(0.3)
    assert provider.server_groups.get(REGION, name).counts.down == 2


def test_weights_enable_and_disable_move_traffic(provider: ExampleProvider) -> None:
    lb = _lb(provider)
    a, b = (
        provider.server_groups.create(_request(Moniker(app="shop", sequence=n), lbs=(lb,))).name
        for n in (1, 2)
    )
    provider.traffic.set_weights(REGION, TrafficWeights(weights={a: 100, b: 0}))
    assert not provider.server_groups.get(REGION, b).enabled, "no share means out of traffic"
    provider.server_groups.enable(REGION, b)  # back into traffic, not enabled at weight 0
    assert provider.traffic.get_weights(REGION, [a, b]).weights == {a: 50, b: 50}
    provider.server_groups.disable(REGION, a)
    assert provider.traffic.get_weights(REGION, [a, b]).weights == {a: 0, b: 100}


def test_weights_need_a_load_balancer_and_at_most_four_groups(provider: ExampleProvider) -> None:
    lonely = provider.server_groups.create(_request(Moniker(app="solo", sequence=1))).name
    with pytest.raises(InvalidSpec, match="no load balancer"):
        provider.traffic.set_weights(REGION, TrafficWeights(weights={lonely: 100}))
    lb = _lb(provider)
    names = [
        provider.server_groups.create(
            _request(Moniker(app="shop", sequence=n), lbs=(lb,), capacity=Capacity.fixed(0))
        ).name
        for n in range(1, 6)
    ]
    with pytest.raises(InvalidSpec, match="at most 4"):
        provider.traffic.set_weights(REGION, TrafficWeights(weights=dict.fromkeys(names, 20)))


def test_names_are_mapped_and_found_by_the_original(provider: ExampleProvider) -> None:
    moniker = Moniker(app="Café", stack="prod_1", sequence=1)
    group = provider.server_groups.create(_request(moniker, capacity=Capacity.fixed(0)))
    assert group.name.startswith("cafe-prod1-")
    assert group.name.endswith("-v001")
    assert len(group.name) <= 48
    assert provider.server_groups.list("Café")[0].moniker == moniker
    lb = _lb(provider, "Shop Front")
    assert lb != "Shop Front"
    assert provider.load_balancers.get(REGION, "Shop Front").name == lb


def test_a_security_group_in_use_by_a_server_group_cannot_be_deleted(
    provider: ExampleProvider,
) -> None:
    provider.security_groups.upsert(
        SecurityGroupSpec(name="web", account="example-test", region=REGION), NoSettings()
    )
    provider.server_groups.create(
        _request(Moniker(app="shop", sequence=1), security_groups=("web",))
    )
    with pytest.raises(Conflict, match="in use by shop-v001"):
        provider.security_groups.delete(REGION, "web")


def test_list_asks_each_region_once(
    example_cloud: ExampleCloud, make_provider: Callable[..., ExampleProvider]
) -> None:
    provider = make_provider(example_cloud, regions=["eu-west", "us-east"])
    for n, region in ((1, "eu-west"), (2, "us-east")):
        provider.server_groups.create(_request(Moniker(app="shop", sequence=n), region=region))
    example_cloud.requests.clear()
    assert sorted(g.region for g in provider.server_groups.list("shop")) == ["eu-west", "us-east"]
    assert len(example_cloud.requests) == 2


def test_configuration_refuses_literal_tokens_without_echoing_them(
    example_cloud: ExampleCloud,
) -> None:
    literal = "s3cr3t-literal-token"
    config = {
        "accounts": {
            "ex": {"provider": "example", "regions": [REGION], "endpoint": example_cloud.url,
                   "token": literal, "tiemout_seconds": 3},
        }
    }  # fmt: skip
    with pytest.raises(ConfigError) as info:
        cloudrig.connect(config)
    text = str(info.value)
    assert "account 'ex', field 'token'" in text
    assert "account 'ex', field 'tiemout_seconds': unknown field" in text
    assert literal not in text


def test_the_example_cloud_runs_as_a_process(tmp_path: Path, tokens: Any) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(tokens.read_write + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "example_cloud", "--port", "0", "--token-file", str(token_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        headers = {"Authorization": f"Bearer {tokens.read_write}"}
        assert httpx.get(f"{url}/v1/whoami", headers=headers).json()["principal"] == "owner"
        assert httpx.get(f"{url}/v1/whoami").status_code == 401
        assert tokens.read_write not in " ".join(process.args)  # type: ignore[arg-type]
    finally:
        process.terminate()
        process.wait(timeout=10)
