"""Where a load balancer's traffic can go, read from the emulator: a new group carries the named
port its backend services route to; backend changes are patches carrying the fingerprint (the
rest of the service, write-only fields included, is never sent back); a regional internal
Application Load Balancer (INTERNAL_MANAGED, regional backend service and health check) works
beside the global ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.cloud import compute_v1

from cloudrig import HealthCheck, InvalidSpec, LoadBalancerSpec, TrafficWeights
from cloudrig.strategies import RedBlack
from support.gcp import wait_for_operation

from .conftest import ACCOUNT, GCP, IMAGE_V1, IMAGE_V2, PROJECT, REGION, fast_boot
from .scenario import create_request

pytestmark = pytest.mark.gcp


def vms_of(emulator: Any, group: str) -> list[str]:
    listed = emulator.client(compute_v1.RegionInstanceGroupManagersClient).list_managed_instances(
        project=PROJECT, region=REGION, instance_group_manager=group
    )
    return sorted(i.name for i in listed if i.current_action != "DELETING")


def test_red_black_sends_the_load_balancers_traffic_to_the_new_group(
    gcp_compute: Any, tmp_path: Path
) -> None:
    fast_boot(gcp_compute)
    rig = GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})
    GCP.upsert_web(rig, REGION, target_port=8080)
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    assert gcp_compute.receivers("web") == vms_of(gcp_compute, "shop-prod-v001")
    rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()
    assert gcp_compute.receivers("web") == vms_of(gcp_compute, "shop-prod-v002") != []
    group = gcp_compute.client(compute_v1.RegionInstanceGroupsClient).get(
        project=PROJECT, region=REGION, instance_group="shop-prod-v002"
    )
    assert [(p.name, p.port) for p in group.named_ports] == [("http", 8080)]
    assert gcp_compute.count("backendServices.update") == 0, "backend changes are patches"


def test_backend_changes_keep_what_a_get_cannot_return(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """IAP's OAuth client secret is input only (GET answers its hash): a full update built from
    a GET would drop it; a patch of the backends keeps it."""
    provider = make_gcp_provider()
    provider.load_balancers.upsert(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION), _lb_settings()
    )
    services = gcp_compute.client(compute_v1.BackendServicesClient)
    fingerprint = services.get(project=PROJECT, backend_service="web").fingerprint
    services.patch(
        project=PROJECT,
        backend_service="web",
        backend_service_resource={
            "fingerprint": fingerprint,
            "iap": {"enabled": True, "oauth2_client_id": "id", "oauth2_client_secret": "s3cr3t"},
        },
    )
    one, two = (create_request("iap", sequence=n, load_balancers=("web",)) for n in (1, 2))
    provider.server_groups.create(one)
    provider.server_groups.create(two)
    provider.server_groups.disable(REGION, one.name)
    iap = services.get(project=PROJECT, backend_service="web").iap
    assert iap.oauth2_client_secret_sha256, "the secret survived every backend change"
    assert [b.group.rsplit("/", 1)[-1] for b in _service(gcp_compute).backends] == [two.name]


def test_a_regional_internal_load_balancer_beside_a_global_one(
    gcp_compute: Any, tmp_path: Path
) -> None:
    fast_boot(gcp_compute)
    rig = GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})
    GCP.upsert_web(rig, REGION)
    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(
            name="internal",
            account=ACCOUNT,
            region=REGION,
            target_port=9000,
            health_check=HealthCheck(port=9000),
            settings={
                "load_balancing_scheme": "INTERNAL_MANAGED",
                "scope": "regional",
                "port_name": "internal-http",
            },
        )
    )
    regional = gcp_compute.client(compute_v1.RegionBackendServicesClient).get(
        project=PROJECT, region=REGION, backend_service="internal"
    )
    assert regional.load_balancing_scheme == "INTERNAL_MANAGED"
    assert "/regions/us-central1/healthChecks/" in regional.health_checks[0]
    both = ("web", "internal")
    for image in (IMAGE_V1, IMAGE_V2):
        spec = GCP.spec(REGION, image).model_copy(update={"load_balancers": both})
        rig.deploy(spec, RedBlack()).raise_for_status()
    new = vms_of(gcp_compute, "shop-prod-v002")
    assert gcp_compute.receivers("web") == new
    assert gcp_compute.receivers("internal", region=REGION) == new
    group = rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v002")
    sources = {d.source for d in group.instances[0].details}
    assert {"backend-service:web", "backend-service:internal"} <= sources
    old = rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v001")
    assert not old.enabled
    assert {lb.name for lb in rig.account(ACCOUNT).load_balancers.list(REGION)} == set(both)


def test_two_load_balancers_naming_one_port_differently_are_refused_before_creating(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    for name, port in (("a", 8080), ("b", 9090)):
        provider.load_balancers.upsert(
            LoadBalancerSpec(name=name, account=ACCOUNT, region=REGION, target_port=port),
            _lb_settings(),
        )
    with pytest.raises(InvalidSpec, match="two numbers"):
        provider.server_groups.create(create_request("clash", load_balancers=("a", "b")))
    assert gcp_compute.count("regionInstanceTemplates.insert") == 0


def test_a_group_made_without_named_ports_gets_them_when_it_takes_traffic_again(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """Groups cloudrig made before it set named ports: enabling one (a rollback onto it) or
    giving it a traffic weight sets them before it takes traffic, so traffic reaches it; a group
    that has them costs no read more."""
    fast_boot(gcp_compute)
    provider = make_gcp_provider()
    provider.load_balancers.upsert(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION, target_port=8080),
        _lb_settings(),
    )
    name = create_request("old", load_balancers=("web",)).name
    provider.server_groups.create(create_request("old", load_balancers=("web",)))
    provider.server_groups.disable(REGION, name)
    groups = gcp_compute.client(compute_v1.RegionInstanceGroupsClient)

    def as_an_older_cloudrig_made_it() -> None:
        body = {"named_ports": []}
        wait_for_operation(
            groups.set_named_ports(
                project=PROJECT,
                region=REGION,
                instance_group=name,
                region_instance_groups_set_named_ports_request_resource=body,
            ),
            gcp_compute.endpoint,
        )
        provider.server_groups.invalidate(REGION)  # the listing as it has long been

    def named_ports() -> list[tuple[str, int]]:
        group = groups.get(project=PROJECT, region=REGION, instance_group=name)
        return [(p.name, p.port) for p in group.named_ports]

    as_an_older_cloudrig_made_it()
    gcp_compute.clock.advance(1)
    provider.server_groups.enable(REGION, name)
    assert named_ports() == [("http", 8080)]
    assert gcp_compute.receivers("web") == vms_of(gcp_compute, name) != []

    provider.server_groups.disable(REGION, name)
    before = gcp_compute.count("regionInstanceGroups.*")
    provider.server_groups.enable(REGION, name)
    assert gcp_compute.count("regionInstanceGroups.*") == before, "ports present: no read"
    assert gcp_compute.receivers("web") == vms_of(gcp_compute, name)

    as_an_older_cloudrig_made_it()  # traffic moving onto it by weight sets them too
    provider.traffic.set_weights(REGION, TrafficWeights(weights={name: 100}))
    assert named_ports() == [("http", 8080)]


def _lb_settings() -> Any:
    from cloudrig_gcp import GcpLoadBalancerSettings

    return GcpLoadBalancerSettings()


def _service(emulator: Any) -> Any:
    return emulator.client(compute_v1.BackendServicesClient).get(
        project=PROJECT, backend_service="web"
    )
