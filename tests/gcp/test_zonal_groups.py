"""Zonal managed instance groups (``settings.zone``), checked in the emulator's own state: where
each group lives, its named port, its place in the backend service, where traffic goes, its
autoscaler — through red/black, rollback, a cluster moving from regional to zonal groups (by
rolling red/black: traffic split between the two kinds), the provider's every operation on one
group, and the one error for a zone the spec cannot have."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.cloud import compute_v1
from pydantic import ValidationError

from cloudrig import Capacity, HealthState, InvalidSpec
from cloudrig.strategies import Highlander, RedBlack, RollingRedBlack

from .conftest import ACCOUNT, GCP, IMAGE, IMAGE_V1, IMAGE_V2, PROJECT, REGION, fast_boot
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.gcp
ZONE, OTHER_ZONE = f"{REGION}-b", f"{REGION}-c"


def scopes(emulator: Any) -> dict[str, str]:
    """{group: scope} of every MIG of the project (``zones/…`` or ``regions/…``)."""
    listed = emulator.client(compute_v1.InstanceGroupManagersClient).aggregated_list(
        project=PROJECT
    )
    return {m.name: scope for scope, found in listed for m in found.instance_group_managers}


def backends(emulator: Any) -> dict[str, float]:
    """{group path from its scope: capacityScaler} of the ``web`` backend service."""
    service = emulator.client(compute_v1.BackendServicesClient).get(
        project=PROJECT, backend_service="web"
    )
    return {b.group.split(f"/{PROJECT}/")[1]: b.capacity_scaler for b in service.backends}


def vms(emulator: Any, group: str, zone: str = ZONE) -> list[str]:
    listed = emulator.client(compute_v1.InstanceGroupManagersClient).list_managed_instances(
        project=PROJECT, zone=zone, instance_group_manager=group
    )
    return sorted(i.name for i in listed if i.current_action != "DELETING")


def ports(emulator: Any, group: str, zone: str = ZONE) -> list[tuple[str, int]]:
    found = emulator.client(compute_v1.InstanceGroupsClient).get(
        project=PROJECT, zone=zone, instance_group=group
    )
    return [(p.name, p.port) for p in found.named_ports]


def autoscalers(emulator: Any, zone: str = ZONE) -> dict[str, tuple[str, float, int, int]]:
    """{group: (mode, cpu target, min, max)} of the zone's autoscalers."""
    listed = emulator.client(compute_v1.AutoscalersClient).list(project=PROJECT, zone=zone)
    return {
        a.name: (
            a.autoscaling_policy.mode,
            round(a.autoscaling_policy.cpu_utilization.utilization_target, 3),
            a.autoscaling_policy.min_num_replicas,
            a.autoscaling_policy.max_num_replicas,
        )
        for a in listed
    }


@pytest.fixture
def rig(gcp_compute: Any, tmp_path: Path) -> Any:
    fast_boot(gcp_compute)
    rig = GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})
    GCP.upsert_web(rig, REGION, target_port=8080)
    return rig


def test_red_black_and_rollback_with_zonal_groups(rig: Any, gcp_compute: Any) -> None:
    zonal = {"zone": ZONE, "autoscaling": {"mode": "ON", "cpu_target": 0.6}}
    rig.deploy(GCP.spec(REGION, IMAGE_V1, settings=zonal), RedBlack()).raise_for_status()
    rig.deploy(GCP.spec(REGION, IMAGE_V2, settings={"zone": ZONE}), RedBlack()).raise_for_status()
    where = f"zones/{ZONE}"
    assert scopes(gcp_compute) == {"shop-prod-v001": where, "shop-prod-v002": where}
    assert ports(gcp_compute, "shop-prod-v002") == [("http", 8080)]
    assert backends(gcp_compute) == {f"{where}/instanceGroups/shop-prod-v002": 1.0}
    assert gcp_compute.receivers("web") == vms(gcp_compute, "shop-prod-v002") != []
    assert autoscalers(gcp_compute) == {
        "shop-prod-v001": ("OFF", 0.6, 2, 4),  # disabled: paused
        "shop-prod-v002": ("ON", 0.6, 2, 4),  # carried from v001
    }
    groups = rig.account(ACCOUNT).server_groups
    new, old = groups.get(REGION, "shop-prod-v002"), groups.get(REGION, "shop-prod-v001")
    assert (new.zones, new.enabled, new.healthy) == ((ZONE,), True, 2)
    assert {i.zone for i in new.instances} == {ZONE}
    assert {d.source for d in new.instances[0].details} == {"instance", "backend-service:web"}
    assert not old.enabled
    assert len(old.instances) == 2, "disabled, kept warm"
    assert all(i.health is HealthState.OUT_OF_SERVICE for i in old.instances)

    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    assert backends(gcp_compute) == {f"{where}/instanceGroups/shop-prod-v001": 1.0}
    assert gcp_compute.receivers("web") == vms(gcp_compute, "shop-prod-v001") != []
    assert {n: p[0] for n, p in autoscalers(gcp_compute).items()} == {
        "shop-prod-v001": "ON",
        "shop-prod-v002": "OFF",
    }
    assert gcp_compute.count("zoneOperations.wait") >= 4, "zonal mutations waited zonally"


def test_a_cluster_moves_from_regional_to_zonal_groups(rig: Any, gcp_compute: Any) -> None:
    regional = {"autoscaling": {"mode": "ONLY_SCALE_OUT", "cpu_target": 0.5}}
    rig.deploy(GCP.spec(REGION, IMAGE_V1, settings=regional), RedBlack()).raise_for_status()
    steps: list[dict[str, float]] = []

    def on_event(event: Any) -> None:
        if event.kind == "traffic_moved":
            steps.append(backends(gcp_compute))

    zonal = GCP.spec(REGION, IMAGE_V2, settings={"zone": ZONE})
    rig.deploy(zonal, RollingRedBlack(steps=(50, 100)), on_event=on_event).raise_for_status()
    # Half way, both the regional and the zonal group are backends in traffic.
    assert set(steps[0]) == {
        f"regions/{REGION}/instanceGroups/shop-prod-v001",
        f"zones/{ZONE}/instanceGroups/shop-prod-v002",
    }
    assert min(steps[0].values()) >= 0.1
    assert max(steps[0].values()) == 1.0
    assert scopes(gcp_compute) == {
        "shop-prod-v001": f"regions/{REGION}",
        "shop-prod-v002": f"zones/{ZONE}",
    }
    assert backends(gcp_compute) == {f"zones/{ZONE}/instanceGroups/shop-prod-v002": 1.0}
    assert gcp_compute.receivers("web") == vms(gcp_compute, "shop-prod-v002") != []
    assert autoscalers(gcp_compute) == {"shop-prod-v002": ("ONLY_SCALE_OUT", 0.5, 2, 4)}
    paused = gcp_compute.client(compute_v1.RegionAutoscalersClient).get(
        project=PROJECT, region=REGION, autoscaler="shop-prod-v001"
    )
    assert paused.autoscaling_policy.mode == "OFF"
    cluster = rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups
    assert {g.name: g.enabled for g in cluster} == {"shop-prod-v001": False, "shop-prod-v002": True}

    # Highlander onto another zone destroys both the regional and the zonal group.
    spec = GCP.spec(REGION, IMAGE, settings={"zone": OTHER_ZONE})
    rig.deploy(spec, Highlander()).raise_for_status()
    assert scopes(gcp_compute) == {"shop-prod-v003": f"zones/{OTHER_ZONE}"}
    assert backends(gcp_compute) == {f"zones/{OTHER_ZONE}/instanceGroups/shop-prod-v003": 1.0}
    assert autoscalers(gcp_compute) == {}, "the zonal group's autoscaler went with it"
    assert list(autoscalers(gcp_compute, OTHER_ZONE)) == ["shop-prod-v003"]
    templates = gcp_compute.client(compute_v1.RegionInstanceTemplatesClient).list(
        project=PROJECT, region=REGION
    )
    assert [t.name for t in templates] == ["shop-prod-v003"]


def test_every_operation_on_a_zonal_group(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    fast_boot(gcp_compute)
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    request = create_request(
        "zon", load_balancers=("web",), capacity=Capacity(min=1, desired=2, max=4), zone=ZONE
    )
    name, groups = request.name, provider.server_groups
    created = groups.create(request)
    assert created.zones == (ZONE,)
    assert scopes(gcp_compute) == {name: f"zones/{ZONE}"}
    assert [p for p, _ in ports(gcp_compute, name)] == ["http"]
    assert autoscalers(gcp_compute) == {name: ("OFF", 0.0, 1, 4)}, "bounds only"
    [listed] = groups.list("zon")
    assert (listed.name, listed.zones, listed.capacity) == (
        name,
        (ZONE,),
        Capacity(min=1, desired=2, max=4),
    )

    groups.resize(REGION, name, Capacity(min=2, desired=3, max=5))
    manager = gcp_compute.client(compute_v1.InstanceGroupManagersClient).get(
        project=PROJECT, zone=ZONE, instance_group_manager=name
    )
    assert manager.target_size == 3
    assert autoscalers(gcp_compute) == {name: ("OFF", 0.0, 2, 5)}

    link = f"zones/{ZONE}/instanceGroups/{name}"
    groups.disable(REGION, name)
    assert backends(gcp_compute) == {}
    assert not groups.get(REGION, name, fresh=True).enabled
    groups.enable(REGION, name)
    assert backends(gcp_compute) == {link: 1.0}
    gcp_compute.clock.advance(1)
    gcp_compute.set_health(vms(gcp_compute, name)[0], "UNHEALTHY")
    health = {i.id: i.health for i in groups.health(REGION, name)}
    assert sorted(health.values(), key=str) == sorted(
        [HealthState.DOWN, HealthState.UP, HealthState.UP], key=str
    )

    groups.destroy(REGION, name)
    assert scopes(gcp_compute) == {}
    assert autoscalers(gcp_compute) == {}
    assert backends(gcp_compute) == {}
    templates = gcp_compute.client(compute_v1.RegionInstanceTemplatesClient)
    assert list(templates.list(project=PROJECT, region=REGION)) == []


def test_a_zonal_create_cut_after_its_mig_is_finished_by_a_repeat(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """The zonal MIG exists, its named ports do not (the create stopped there): the same create
    again makes no second group and finishes this one (named ports, autoscaler, backend)."""
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    request = create_request(
        "cut", load_balancers=("web",), capacity=Capacity(min=1, desired=2, max=3), zone=ZONE
    )
    gcp_compute.faults.add("instanceGroups.setNamedPorts", 400, times=1)
    with pytest.raises(InvalidSpec, match="400"):
        provider.server_groups.create(request)
    assert scopes(gcp_compute) == {request.name: f"zones/{ZONE}"}
    assert ports(gcp_compute, request.name) == []
    provider.server_groups.create(request)
    assert scopes(gcp_compute) == {request.name: f"zones/{ZONE}"}
    assert [p for p, _ in ports(gcp_compute, request.name)] == ["http"]
    assert autoscalers(gcp_compute) == {request.name: ("OFF", 0.0, 1, 3)}
    assert backends(gcp_compute) == {f"zones/{ZONE}/instanceGroups/{request.name}": 1.0}


@pytest.mark.parametrize(
    ("zone", "zones", "says"),
    [
        ("europe-west1-b", (), "is not a zone of the spec's region 'us-central1'"),
        (ZONE, (f"{REGION}-a",), "disagree"),
    ],
)
def test_a_zone_the_spec_cannot_have_is_refused_before_anything_is_made(
    make_gcp_provider: Callable[..., Any],
    gcp_compute: Any,
    zone: str,
    zones: tuple[str, ...],
    says: str,
) -> None:
    provider = make_gcp_provider()
    with pytest.raises(InvalidSpec, match=says):
        provider.server_groups.create(create_request("bad", zone=zone, zones=zones))
    assert gcp_compute.count("*.insert") == 0


def test_a_zone_setting_must_name_a_zone() -> None:
    from cloudrig_gcp import GcpServerGroupSettings

    with pytest.raises(ValidationError, match="zone"):
        GcpServerGroupSettings(zone="us-central1")
