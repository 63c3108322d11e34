"""Zonal managed instance groups in the Compute emulator, through the real google-cloud-compute
clients: ``instanceGroupManagers`` with zonal operations (``zoneOperations.wait``), the zonal
instance group's named ports, zonal autoscalers, backend services over zonal groups, and
``instanceGroupManagers.aggregatedList`` answering regional and zonal groups by scope. Each rule
is listed in tests/README.md (GCP) with its source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from support.gcp import ComputeEmulator, wait_for_operation

pytestmark = pytest.mark.gcp

P, R, Z = "proj-1", "us-central1", "us-central1-b"


@pytest.fixture
def done(gcp_compute: ComputeEmulator) -> Callable[[Any], compute_v1.Operation]:
    return lambda op: wait_for_operation(op, gcp_compute.endpoint)


def regional_template(gcp: ComputeEmulator, done: Any, region: str = R) -> str:
    templates = gcp.client(compute_v1.RegionInstanceTemplatesClient)
    body = {"name": "web-v001", "properties": {"machine_type": "e2-small"}}
    done(templates.insert(project=P, region=region, instance_template_resource=body))
    return f"projects/{P}/regions/{region}/instanceTemplates/web-v001"


def zonal_mig(gcp: ComputeEmulator, template: str, name: str = "web-v001", size: int = 2) -> Any:
    return gcp.client(compute_v1.InstanceGroupManagersClient).insert(
        project=P,
        zone=Z,
        instance_group_manager_resource={
            "name": name,
            "base_instance_name": name,
            "target_size": size,
            "instance_template": template,
        },
    )


def test_a_zonal_group_lives_in_its_zone_with_zonal_operations(
    gcp_compute: ComputeEmulator, done: Any
) -> None:
    template = regional_template(gcp_compute, done)
    operation = zonal_mig(gcp_compute, template)
    assert operation.zone.endswith(f"/zones/{Z}")
    assert not operation.region
    assert done(operation).status == compute_v1.Operation.Status.DONE  # zoneOperations.wait
    assert gcp_compute.count("zoneOperations.wait") >= 1
    migs = gcp_compute.client(compute_v1.InstanceGroupManagersClient)
    manager = migs.get(project=P, zone=Z, instance_group_manager="web-v001")
    assert manager.zone.endswith(f"/zones/{Z}")
    assert not manager.region
    assert manager.instance_group.endswith(f"/projects/{P}/zones/{Z}/instanceGroups/web-v001")
    assert not manager.distribution_policy.zones, "a zonal group has no distribution policy"
    managed = list(
        migs.list_managed_instances(project=P, zone=Z, instance_group_manager="web-v001")
    )
    assert len(managed) == 2
    assert all(f"/zones/{Z}/instances/" in m.instance for m in managed)
    done(migs.resize(project=P, zone=Z, instance_group_manager="web-v001", size=3))
    assert migs.get(project=P, zone=Z, instance_group_manager="web-v001").target_size == 3
    with pytest.raises(exceptions.NotFound):  # not a regional group
        gcp_compute.client(compute_v1.RegionInstanceGroupManagersClient).get(
            project=P, region=R, instance_group_manager="web-v001"
        )
    groups = gcp_compute.client(compute_v1.InstanceGroupsClient)
    ports = {"named_ports": [{"name": "http", "port": 8080}]}
    done(
        groups.set_named_ports(
            project=P,
            zone=Z,
            instance_group="web-v001",
            instance_groups_set_named_ports_request_resource=ports,
        )
    )
    group = groups.get(project=P, zone=Z, instance_group="web-v001")
    assert [(p.name, p.port) for p in group.named_ports] == [("http", 8080)]
    assert group.zone.endswith(f"/zones/{Z}")
    assert group.size == 3
    stale = ports | {"fingerprint": "c3RhbGU="}
    with pytest.raises(exceptions.PreconditionFailed):
        groups.set_named_ports(
            project=P,
            zone=Z,
            instance_group="web-v001",
            instance_groups_set_named_ports_request_resource=stale,
        )
    done(migs.delete(project=P, zone=Z, instance_group_manager="web-v001"))
    assert list(migs.list(project=P, zone=Z)) == []


def test_a_regional_template_serves_only_its_own_regions_zones(
    gcp_compute: ComputeEmulator, done: Any
) -> None:
    template = regional_template(gcp_compute, done, region="europe-west1")
    with pytest.raises(exceptions.BadRequest, match="its own region"):
        zonal_mig(gcp_compute, template)


def test_aggregated_list_answers_regional_and_zonal_groups_by_scope(
    gcp_compute: ComputeEmulator, done: Any
) -> None:
    template = regional_template(gcp_compute, done)
    done(zonal_mig(gcp_compute, template, name="zonal"))
    done(
        gcp_compute.client(compute_v1.RegionInstanceGroupManagersClient).insert(
            project=P,
            region=R,
            instance_group_manager_resource={
                "name": "regional",
                "base_instance_name": "regional",
                "target_size": 1,
                "instance_template": template,
            },
        )
    )
    migs = gcp_compute.client(compute_v1.InstanceGroupManagersClient)
    listed = {
        scope: [m.name for m in scoped.instance_group_managers]
        for scope, scoped in migs.aggregated_list(project=P)
    }
    assert listed == {f"regions/{R}": ["regional"], f"zones/{Z}": ["zonal"]}
    request = compute_v1.AggregatedListInstanceGroupManagersRequest(
        project=P, filter="name eq zonal"
    )
    assert [scope for scope, _ in migs.aggregated_list(request=request)] == [f"zones/{Z}"]


def test_zonal_autoscalers_scale_groups_of_their_zone_only(
    gcp_compute: ComputeEmulator, done: Any
) -> None:
    template = regional_template(gcp_compute, done)
    done(zonal_mig(gcp_compute, template))
    autoscalers = gcp_compute.client(compute_v1.AutoscalersClient)
    policy = {"mode": "OFF", "min_num_replicas": 1, "max_num_replicas": 4}
    target = f"projects/{P}/zones/{Z}/instanceGroupManagers/web-v001"
    done(
        autoscalers.insert(
            project=P,
            zone=Z,
            autoscaler_resource={
                "name": "web-v001",
                "target": target,
                "autoscaling_policy": policy,
            },
        )
    )
    found = autoscalers.get(project=P, zone=Z, autoscaler="web-v001")
    assert found.zone.endswith(f"/zones/{Z}")
    assert found.autoscaling_policy.max_num_replicas == 4
    with pytest.raises(exceptions.BadRequest, match="scope"):  # a regional one cannot scale it
        gcp_compute.client(compute_v1.RegionAutoscalersClient).insert(
            project=P,
            region=R,
            autoscaler_resource={
                "name": "web-v001",
                "target": target,
                "autoscaling_policy": policy,
            },
        )


def test_backend_services_take_zonal_groups_of_their_region(
    gcp_compute: ComputeEmulator, done: Any
) -> None:
    template = regional_template(gcp_compute, done)
    done(zonal_mig(gcp_compute, template))
    group = f"projects/{P}/zones/{Z}/instanceGroups/web-v001"
    checks = gcp_compute.client(compute_v1.RegionHealthChecksClient)
    check = {"name": "hc", "type_": "TCP", "tcp_health_check": {"port": 8080}}
    done(checks.insert(project=P, region=R, health_check_resource=check))
    services = gcp_compute.client(compute_v1.RegionBackendServicesClient)

    def service(region: str) -> dict[str, Any]:
        return {
            "name": f"internal-{region}",
            "load_balancing_scheme": "INTERNAL_MANAGED",
            "health_checks": [f"projects/{P}/regions/{R}/healthChecks/hc"],
            "backends": [{"group": group}],
        }

    with pytest.raises(exceptions.BadRequest, match="own region"):
        services.insert(project=P, region="europe-west1", backend_service_resource=service("eu"))
    done(services.insert(project=P, region=R, backend_service_resource=service("us")))
    health = services.get_health(
        project=P,
        region=R,
        backend_service="internal-us",
        resource_group_reference_resource={"group": group},
    )
    assert [h.instance.split("/zones/")[1].split("/")[0] for h in health.health_status] == [Z, Z]
    with pytest.raises(exceptions.BadRequest):  # in use by the backend service
        gcp_compute.client(compute_v1.InstanceGroupManagersClient).delete(
            project=P, zone=Z, instance_group_manager="web-v001"
        )
