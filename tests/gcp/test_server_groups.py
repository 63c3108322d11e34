"""Server groups on the Compute emulator: what lands in GCE (template, MIG, autoscaler bounds,
firewall rules), how health is read, and what destroy leaves behind."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import compute_v1

from cloudrig import Capacity, HealthState, InvalidSpec, Moniker
from support.gcp import wait_for_operation

from .conftest import PROJECT, REGION
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.gcp


def template(emulator: Any, name: str) -> Any:
    return emulator.client(compute_v1.RegionInstanceTemplatesClient).get(
        project=PROJECT, region=REGION, instance_template=name
    )


def firewalls(emulator: Any) -> dict[str, Any]:
    return {f.name: f for f in emulator.client(compute_v1.FirewallsClient).list(project=PROJECT)}


def test_create_writes_the_facts_in_the_create_calls(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    from cloudrig_gcp.naming import NAMING

    provider = make_gcp_provider()
    request = create_request("shop", security_groups=("web-in",), deployment_id="Dep/ÄÖ 1")
    moniker = Moniker(app="Chéckout Ünïcode", stack="prod", detail="a.b", sequence=4)
    request = request.model_copy(
        update={
            "name": NAMING.server_group_name(moniker),
            "metadata": request.metadata.model_copy(update={"moniker": moniker}),
        }
    )
    provider.server_groups.create(request)
    made = template(gcp_compute, request.name)
    stored = json.loads(made.description)
    assert (stored["app"], stored["detail"], stored["deployment_id"]) == (
        "Chéckout Ünïcode",
        "a.b",
        "Dep/ÄÖ 1",
    )
    labels = dict(made.properties.labels)
    assert labels["cloudrig-app"].startswith("checkout")  # mapped and hashed: labels are narrow
    assert len(labels["cloudrig-deployment"]) <= 63
    assert list(made.properties.tags.items) == [request.name, "sg-web-in"]
    assert made.properties.disks[0].initialize_params.source_image == request.spec.artifact
    assert provider.server_groups.read_metadata(REGION, request.name) == request.metadata
    assert [g.moniker for g in provider.server_groups.list("Chéckout Ünïcode")] == [moniker]


def test_health_follows_instance_status_and_backend_health(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    gcp_compute.clock.freeze()
    request = create_request("hl", load_balancers=("web",))
    provider.server_groups.create(request)
    starting = provider.server_groups.get(REGION, request.name)
    assert [i.health for i in starting.instances] == [HealthState.STARTING] * 2
    gcp_compute.clock.advance(5)  # PROVISIONING → STAGING → RUNNING
    up = provider.server_groups.get(REGION, request.name)
    assert [i.health for i in up.instances] == [HealthState.UP] * 2
    sources = {d.source for d in up.instances[0].details}
    assert sources == {"instance", "backend-service:web"}
    sick, other = up.instances
    gcp_compute.set_health(sick.id, "UNHEALTHY")
    gcp_compute.set_instance_status(other.id, "TERMINATED")
    down = provider.server_groups.health(REGION, request.name)
    assert [i.health for i in down] == [HealthState.DOWN, HealthState.DOWN]


def test_a_disabled_group_reports_its_instances_out_of_service(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    gcp_compute.clock.freeze()
    request = create_request("oos", load_balancers=("web",))
    provider.server_groups.create(request)
    gcp_compute.clock.advance(5)
    provider.server_groups.disable(REGION, request.name)
    group = provider.server_groups.get(REGION, request.name)
    assert not group.enabled
    assert [i.health for i in group.instances] == [HealthState.OUT_OF_SERVICE] * 2


def test_disable_without_load_balancer_denies_traffic_but_not_ssh_or_probes(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """A group without load balancers is disabled by a deny rule on its network tag; what it
    lets through is read from the emulator's firewall verdicts: SSH and Google's health-check
    probers still reach the VMs (an autohealing check must not fail), the service port does not."""
    provider = make_gcp_provider()
    request = create_request("nolb")
    provider.server_groups.create(request)
    client = gcp_compute.client(compute_v1.FirewallsClient)
    for name, port in (("ssh", "22"), ("app", "8080")):  # the user's own rules
        wait_for_operation(
            client.insert(
                project=PROJECT,
                firewall_resource={
                    "name": name,
                    "allowed": [{"I_p_protocol": "tcp", "ports": [port]}],
                    "source_ranges": ["0.0.0.0/0"],
                },
            ),
            gcp_compute.endpoint,
        )
    vm = provider.server_groups.get(REGION, request.name).instances[0].id

    def verdicts() -> tuple[str, str, str]:
        return (
            gcp_compute.firewall_verdict(vm, "203.0.113.9", "tcp", 8080),
            gcp_compute.firewall_verdict(vm, "203.0.113.9", "tcp", 22),
            gcp_compute.firewall_verdict(vm, "35.191.4.2", "tcp", 8080),
        )

    assert verdicts() == ("allow", "allow", "allow")
    provider.server_groups.disable(REGION, request.name)
    rules = [f for f in firewalls(gcp_compute).values() if list(f.target_tags) == [request.name]]
    assert [r.priority for r in rules] == [0]
    assert not provider.server_groups.get(REGION, request.name).enabled
    assert verdicts() == ("deny", "allow", "allow"), "traffic off; SSH and probes untouched"
    assert gcp_compute.firewall_verdict(vm, "203.0.113.9", "udp", 53) == "deny"
    provider.server_groups.enable(REGION, request.name)
    assert set(firewalls(gcp_compute)) == {"ssh", "app"}
    assert verdicts() == ("allow", "allow", "allow")
    assert provider.server_groups.get(REGION, request.name).enabled


def test_instances_run_as_an_explicit_service_account(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """Without ``service_account`` the template names the project's default service account
    ("default") instead of none; ``null`` asks for none."""
    from cloudrig_gcp import GcpServerGroupSettings

    provider = make_gcp_provider()
    plain = create_request("sa")
    provider.server_groups.create(plain)
    (account,) = template(gcp_compute, plain.name).properties.service_accounts
    assert account.email == "default"
    assert list(account.scopes) == ["https://www.googleapis.com/auth/cloud-platform"]
    none = create_request("sa", sequence=2).model_copy(
        update={"settings": GcpServerGroupSettings(service_account=None)}
    )
    provider.server_groups.create(none)
    assert list(template(gcp_compute, none.name).properties.service_accounts) == []


def test_capacity_bounds_live_on_an_autoscaler_in_mode_off(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    request = create_request("cap", capacity=Capacity.fixed(1))
    provider.server_groups.create(request)
    autoscalers = gcp_compute.client(compute_v1.RegionAutoscalersClient)
    assert list(autoscalers.list(project=PROJECT, region=REGION)) == [], "fixed size: none"
    provider.server_groups.resize(REGION, request.name, Capacity(min=1, desired=2, max=5))
    (made,) = autoscalers.list(project=PROJECT, region=REGION)
    policy = made.autoscaling_policy
    assert (policy.mode, policy.min_num_replicas, policy.max_num_replicas) == ("OFF", 1, 5)
    assert provider.server_groups.get(REGION, request.name).capacity == Capacity(
        min=1, desired=2, max=5
    )
    provider.server_groups.resize(REGION, request.name, Capacity.fixed(2))
    assert list(autoscalers.list(project=PROJECT, region=REGION)) == []


def test_destroy_leaves_nothing_behind(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    request = create_request(
        "gone", load_balancers=("web",), capacity=Capacity(min=1, desired=2, max=3)
    )
    provider.server_groups.create(request)
    provider.server_groups.destroy(REGION, request.name)
    assert provider.server_groups.list("gone") == []
    assert (
        list(
            gcp_compute.client(compute_v1.RegionInstanceTemplatesClient).list(
                project=PROJECT, region=REGION
            )
        )
        == []
    )
    assert (
        list(
            gcp_compute.client(compute_v1.RegionAutoscalersClient).list(
                project=PROJECT, region=REGION
            )
        )
        == []
    )
    assert provider.load_balancers.get(REGION, "web").server_groups == ()
    provider.server_groups.destroy(REGION, request.name)  # gone: success


def test_a_create_that_crashed_between_template_and_group_is_resumed(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """The template exists (the first insert went through), the MIG does not: a repeated create
    adopts the template instead of failing on it, and makes exactly one group."""
    provider = make_gcp_provider()
    request = create_request("crash", deployment_id="dep-crash")
    gcp_compute.faults.add("regionInstanceGroupManagers.insert", 500, times=1)
    rule = gcp_compute.faults.add("regionInstanceGroupManagers.insert", 400)  # "crash"
    with pytest.raises(InvalidSpec, match="400"):
        provider.server_groups.create(request)
    gcp_compute.faults.remove(rule)
    assert template(gcp_compute, request.name).name == request.name
    group = provider.server_groups.create(request)
    assert (group.name, group.deployment_id) == (request.name, "dep-crash")
    assert [g.name for g in provider.server_groups.list("crash")] == [request.name]


def test_a_leftover_template_of_another_moniker_is_a_conflict(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    from cloudrig import Conflict

    provider = make_gcp_provider()
    mine = create_request("clash", deployment_id="dep-a")
    gcp_compute.faults.add("regionInstanceGroupManagers.insert", 400, times=1)
    with pytest.raises(InvalidSpec, match="400"):
        provider.server_groups.create(mine)
    rival = create_request("clash", deployment_id="dep-b")
    with pytest.raises(Conflict):
        provider.server_groups.create(rival)
    assert provider.server_groups.list("clash") == []
