"""Load balancers (backend service + health check) and security groups (firewall rules by network
tag) on the Compute emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import compute_v1

from cloudrig import IngressRule, SecurityGroupSpec

from .conftest import PROJECT, REGION
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.gcp


def test_a_second_upsert_of_the_same_load_balancer_only_reads(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    first = upsert_load_balancer(provider, "web")
    check = gcp_compute.client(compute_v1.HealthChecksClient).get(
        project=PROJECT, health_check="web"
    )
    assert (check.type_, check.http_health_check.port) == ("HTTP", 8080)
    service = gcp_compute.client(compute_v1.BackendServicesClient).get(
        project=PROJECT, backend_service="web"
    )
    assert [h.rsplit("/", 1)[-1] for h in service.health_checks] == ["web"]
    assert service.load_balancing_scheme == "EXTERNAL_MANAGED"
    gcp_compute.requests.clear()
    again = upsert_load_balancer(provider, "web")
    assert again == first
    mutations = [op for op in gcp_compute.requests.snapshot() if not op.endswith((".get", ".list"))]
    assert mutations == [], gcp_compute.requests.snapshot()


def test_traffic_weights_by_capacity_scaler(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    from cloudrig import TrafficWeights

    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    one = create_request("tw", sequence=1, load_balancers=("web",))
    two = create_request("tw", sequence=2, load_balancers=("web",))
    provider.server_groups.create(one)
    provider.server_groups.create(two)
    provider.traffic.set_weights(REGION, TrafficWeights(weights={one.name: 75, two.name: 25}))
    service = gcp_compute.client(compute_v1.BackendServicesClient).get(
        project=PROJECT, backend_service="web"
    )
    scalers = {b.group.rsplit("/", 1)[-1]: round(b.capacity_scaler, 3) for b in service.backends}
    assert scalers == {one.name: 1.0, two.name: 0.333}
    got = provider.traffic.get_weights(REGION, [one.name, two.name])
    assert dict(got.weights) == {one.name: 75, two.name: 25}
    provider.traffic.set_weights(REGION, TrafficWeights(weights={one.name: 0, two.name: 100}))
    assert not provider.server_groups.get(REGION, one.name).enabled, "scaler 0: out of traffic"
    assert len(provider.server_groups.get(REGION, one.name).instances) == 2, "kept warm"


def test_security_group_is_firewall_rules_on_a_network_tag(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    from cloudrig_gcp import GcpSecurityGroupSettings

    provider = make_gcp_provider()
    rules = (
        IngressRule(from_port=443, to_port=443, cidrs=("10.0.0.0/8",)),
        IngressRule(from_port=8000, to_port=8100, source_groups=("lb",)),
    )
    spec = SecurityGroupSpec(name="web-in", account="gcp-test", region=REGION, ingress=rules)
    group = provider.security_groups.upsert(spec, GcpSecurityGroupSettings())
    assert group.ingress == rules
    made = {f.name: f for f in gcp_compute.client(compute_v1.FirewallsClient).list(project=PROJECT)}
    assert len(made) == 3  # the anchor + one rule per ingress rule
    assert {tuple(f.target_tags) for f in made.values()} == {("sg-web-in",)}
    allow = [f for f in made.values() if f.allowed]
    assert sorted(tuple(f.allowed[0].ports) for f in allow) == [("443",), ("8000-8100",)]
    assert any(list(f.source_tags) == ["sg-lb"] for f in allow)
    # The instances of a group that names the security group carry its tag.
    request = create_request("tagged", security_groups=("web-in",))
    provider.server_groups.create(request)
    instances = gcp_compute.client(compute_v1.InstancesClient)
    vms = [vm for z in "abc" for vm in instances.list(project=PROJECT, zone=f"{REGION}-{z}")]
    assert len(vms) == 2
    for vm in vms:
        assert "sg-web-in" in list(vm.tags.items)
    # An upsert with one rule less deletes that rule's firewall, keeps the group's identity.
    smaller = spec.model_copy(update={"ingress": rules[:1]})
    again = provider.security_groups.upsert(smaller, GcpSecurityGroupSettings())
    assert (again.id, again.ingress) == (group.id, rules[:1])
    left = list(gcp_compute.client(compute_v1.FirewallsClient).list(project=PROJECT))
    assert len(left) == 2
    assert all(json.loads(f.description)["name"] == "web-in" for f in left)
