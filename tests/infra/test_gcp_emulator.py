"""The Compute REST emulator, driven through the real google-cloud-compute REST clients.

Every modelled method is called with the library's own client; errors must surface as the
client's real ``google.api_core.exceptions`` types, and operations are waited on with
``wait_for_operation`` (``.result()`` would poll the real Google endpoint).
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import compute_v1

from support.gcp import ComputeEmulator, make_client, wait_for_operation
from support.proxy import gcp_rate_limit

pytestmark = pytest.mark.gcp

P, R = "proj-1", "us-central1"
RUNNING = compute_v1.Operation.Status.RUNNING
DONE = compute_v1.Operation.Status.DONE


@pytest.fixture
def gcp(gcp_compute: ComputeEmulator) -> ComputeEmulator:
    return gcp_compute


@pytest.fixture
def done(gcp: ComputeEmulator) -> Callable[[Any], compute_v1.Operation]:
    return lambda op: wait_for_operation(op, gcp.endpoint)


def reason(error: exceptions.GoogleAPICallError) -> str:
    return str(error.errors[0]["reason"])


def template(
    name: str = "web-v001", tags: tuple[str, ...] = ("web",)
) -> compute_v1.InstanceTemplate:
    return compute_v1.InstanceTemplate(
        name=name,
        properties=compute_v1.InstanceProperties(
            machine_type="e2-small", tags=compute_v1.Tags(items=list(tags)), labels={"app": "web"}
        ),
    )


def make_mig(
    gcp: ComputeEmulator, done: Any, name: str = "web-v001", size: int = 3
) -> compute_v1.InstanceGroupManager:
    templates = gcp.client(compute_v1.InstanceTemplatesClient)
    done(templates.insert(project=P, instance_template_resource=template(name)))
    migs = gcp.client(compute_v1.RegionInstanceGroupManagersClient)
    done(
        migs.insert(
            project=P,
            region=R,
            instance_group_manager_resource=compute_v1.InstanceGroupManager(
                name=name,
                base_instance_name=name,
                target_size=size,
                instance_template=f"global/instanceTemplates/{name}",
                distribution_policy=compute_v1.DistributionPolicy(
                    zones=[
                        compute_v1.DistributionPolicyZoneConfiguration(zone=f"zones/{R}-{z}")
                        for z in "ab"
                    ]
                ),
            ),
        )
    )
    return migs.get(project=P, region=R, instance_group_manager=name)


def managed(gcp: ComputeEmulator, name: str = "web-v001") -> list[compute_v1.ManagedInstance]:
    migs = gcp.client(compute_v1.RegionInstanceGroupManagersClient)
    return list(migs.list_managed_instances(project=P, region=R, instance_group_manager=name))


# -- instance templates ------------------------------------------------------------------------


def test_global_templates_insert_get_list_delete(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.InstanceTemplatesClient)
    op = client.insert(project=P, instance_template_resource=template())
    assert op.status == RUNNING
    assert op.operation_type == "insert"
    assert not op.region
    assert done(op).status == DONE
    got = client.get(project=P, instance_template="web-v001")
    assert got.self_link.endswith(f"/projects/{P}/global/instanceTemplates/web-v001")
    assert list(got.properties.tags.items) == ["web"]
    assert got.kind == "compute#instanceTemplate"
    done(client.insert(project=P, instance_template_resource=template("api-v001")))
    assert [t.name for t in client.list(project=P)] == ["api-v001", "web-v001"]
    with pytest.raises(exceptions.Conflict) as conflict:
        client.insert(project=P, instance_template_resource=template())
    assert reason(conflict.value) == "alreadyExists"
    done(client.delete(project=P, instance_template="web-v001"))
    with pytest.raises(exceptions.NotFound) as missing:
        client.get(project=P, instance_template="web-v001")
    assert reason(missing.value) == "notFound"


def test_regional_templates_insert_get_list_delete(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.RegionInstanceTemplatesClient)
    op = client.insert(project=P, region=R, instance_template_resource=template())
    assert op.region.endswith(f"/regions/{R}")
    assert done(op).status == DONE
    assert client.get(project=P, region=R, instance_template="web-v001").region.endswith(R)
    assert [t.name for t in client.list(project=P, region=R)] == ["web-v001"]
    assert list(client.list(project=P, region="europe-west1")) == []
    done(client.delete(project=P, region=R, instance_template="web-v001"))
    assert list(client.list(project=P, region=R)) == []


def test_invalid_names_and_missing_properties_are_refused(gcp: ComputeEmulator) -> None:
    client = gcp.client(compute_v1.InstanceTemplatesClient)
    with pytest.raises(exceptions.BadRequest, match="Must be a match of regex"):
        client.insert(project=P, instance_template_resource=template("Web_V001"))
    with pytest.raises(exceptions.BadRequest, match=r"resource\.properties"):
        client.insert(project=P, instance_template_resource=compute_v1.InstanceTemplate(name="x"))


def test_template_delete_refused_while_a_mig_uses_it(gcp: ComputeEmulator, done: Any) -> None:
    make_mig(gcp, done)
    client = gcp.client(compute_v1.InstanceTemplatesClient)
    with pytest.raises(exceptions.BadRequest) as in_use:
        client.delete(project=P, instance_template="web-v001")
    assert reason(in_use.value) == "resourceInUseByAnotherResource"
    done(
        gcp.client(compute_v1.RegionInstanceGroupManagersClient).delete(
            project=P, region=R, instance_group_manager="web-v001"
        )
    )
    done(client.delete(project=P, instance_template="web-v001"))


# -- managed instance groups -------------------------------------------------------------------


def test_instances_go_provisioning_staging_running_on_the_clock(
    gcp: ComputeEmulator, done: Any
) -> None:
    gcp.clock.freeze()
    mig = make_mig(gcp, done)
    assert mig.target_size == 3
    assert not mig.status.is_stable
    assert mig.current_actions.creating == 3
    assert {(m.instance_status, m.current_action) for m in managed(gcp)} == {
        ("PROVISIONING", "CREATING")
    }
    gcp.clock.advance(1.0)
    assert {m.instance_status for m in managed(gcp)} == {"STAGING"}
    gcp.clock.advance(1.0)
    instances = managed(gcp)
    assert {(m.instance_status, m.current_action) for m in instances} == {("RUNNING", "NONE")}
    assert all(
        m.name.startswith("web-v001-") and len(m.name) == len("web-v001-") + 4 for m in instances
    )
    assert sorted(m.instance.split("/")[-3] for m in instances) == [f"{R}-a", f"{R}-a", f"{R}-b"]
    stable = gcp.client(compute_v1.RegionInstanceGroupManagersClient).get(
        project=P, region=R, instance_group_manager="web-v001"
    )
    assert stable.status.is_stable
    assert stable.current_actions.none == 3


def test_instances_become_running_in_real_time_by_default(gcp: ComputeEmulator, done: Any) -> None:
    order = ["PROVISIONING", "STAGING", "RUNNING"]
    started = time.monotonic()
    make_mig(gcp, done, size=1)  # default timings: 1 s provisioning, 1 s staging
    seen = [managed(gcp)[0].instance_status]
    first_look = time.monotonic() - started
    deadline = time.monotonic() + 10
    while seen[-1] != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.05)
        seen.append(managed(gcp)[0].instance_status)
    if first_look < gcp.fleet.provisioning_seconds + gcp.fleet.staging_seconds:
        assert seen[0] != "RUNNING"  # (a very loaded machine may look too late to see it)
    assert seen[-1] == "RUNNING"
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)


def test_instances_carry_template_tags_and_labels(gcp: ComputeEmulator, done: Any) -> None:
    gcp.clock.freeze()
    make_mig(gcp, done, size=2)
    gcp.clock.advance(5)
    client = gcp.client(compute_v1.InstancesClient)
    first = managed(gcp)[0]
    vm = client.get(project=P, zone=first.instance.split("/")[-3], instance=first.name)
    assert list(vm.tags.items) == ["web"]
    assert dict(vm.labels) == {"app": "web"}
    assert vm.status == "RUNNING"
    assert vm.network_interfaces[0].network_i_p.startswith("10.")
    assert [v.name for v in client.list(project=P, zone=f"{R}-a")] == [first.name]


def test_mig_list_filters_in_both_syntaxes(gcp: ComputeEmulator, done: Any) -> None:
    make_mig(gcp, done, "web-v001", 1)
    make_mig(gcp, done, "web-v002", 1)
    client = gcp.client(compute_v1.RegionInstanceGroupManagersClient)

    def names(expression: str) -> list[str]:
        return [
            m.name for m in client.list(request={"project": P, "region": R, "filter": expression})
        ]

    assert names("name eq web-v00.*") == ["web-v001", "web-v002"]
    assert names("name eq 'web-v002'") == ["web-v002"]
    assert names('name = "web-v001"') == ["web-v001"]
    assert names("name != web-v001") == ["web-v002"]
    assert names('(name = "web-v001") OR (name = "web-v002")') == ["web-v001", "web-v002"]
    with pytest.raises(exceptions.BadRequest):
        names("name ~ web")


def test_mig_resize_up_and_down_and_set_instance_template(gcp: ComputeEmulator, done: Any) -> None:
    gcp.clock.freeze()
    make_mig(gcp, done, size=2)
    client = gcp.client(compute_v1.RegionInstanceGroupManagersClient)
    op = client.resize(project=P, region=R, instance_group_manager="web-v001", size=4)
    assert op.operation_type == "compute.regionInstanceGroupManagers.resize"
    done(op)
    assert len(managed(gcp)) == 4
    done(client.resize(project=P, region=R, instance_group_manager="web-v001", size=1))
    assert sorted(m.current_action for m in managed(gcp)) == [
        "CREATING",
        "DELETING",
        "DELETING",
        "DELETING",
    ]
    gcp.clock.advance(gcp.fleet.deleting_seconds)
    assert len(managed(gcp)) == 1
    templates = gcp.client(compute_v1.InstanceTemplatesClient)
    done(templates.insert(project=P, instance_template_resource=template("web-v002")))
    done(
        client.set_instance_template(
            project=P,
            region=R,
            instance_group_manager="web-v001",
            region_instance_group_managers_set_template_request_resource=compute_v1.RegionInstanceGroupManagersSetTemplateRequest(
                instance_template="global/instanceTemplates/web-v002"
            ),
        )
    )
    assert client.get(
        project=P, region=R, instance_group_manager="web-v001"
    ).instance_template.endswith("/web-v002")
    done(client.resize(project=P, region=R, instance_group_manager="web-v001", size=2))
    versions = sorted(m.version.instance_template.rsplit("/", 1)[-1] for m in managed(gcp))
    assert versions == ["web-v001", "web-v002"]  # existing VMs keep their template
    with pytest.raises(exceptions.NotFound):
        client.set_instance_template(
            project=P,
            region=R,
            instance_group_manager="web-v001",
            region_instance_group_managers_set_template_request_resource={
                "instance_template": "global/instanceTemplates/nope"
            },
        )


def test_mig_insert_validation(gcp: ComputeEmulator) -> None:
    client = gcp.client(compute_v1.RegionInstanceGroupManagersClient)
    base = {"name": "web-v001", "base_instance_name": "web-v001", "target_size": 1}
    with pytest.raises(exceptions.NotFound):
        client.insert(
            project=P,
            region=R,
            instance_group_manager_resource=base
            | {"instance_template": "global/instanceTemplates/none"},
        )
    with pytest.raises(exceptions.BadRequest, match="targetSize"):
        client.insert(
            project=P,
            region=R,
            instance_group_manager_resource={"name": "x", "base_instance_name": "x"},
        )


def test_region_instance_groups_get_list_and_list_instances(
    gcp: ComputeEmulator, done: Any
) -> None:
    gcp.clock.freeze()
    mig = make_mig(gcp, done, size=2)
    client = gcp.client(compute_v1.RegionInstanceGroupsClient)
    group = client.get(project=P, region=R, instance_group="web-v001")
    assert group.self_link == mig.instance_group
    assert group.size == 2
    assert [g.name for g in client.list(project=P, region=R)] == ["web-v001"]

    def listed(state: str) -> list[str]:
        return [
            i.status
            for i in client.list_instances(
                project=P,
                region=R,
                instance_group="web-v001",
                region_instance_groups_list_instances_request_resource=compute_v1.RegionInstanceGroupsListInstancesRequest(
                    instance_state=state
                ),
            )
        ]

    assert listed("ALL") == ["PROVISIONING", "PROVISIONING"]
    assert listed("RUNNING") == []
    gcp.clock.advance(2)
    assert listed("RUNNING") == ["RUNNING", "RUNNING"]


# -- health checks, backend services, firewalls ------------------------------------------------


def make_backend(
    gcp: ComputeEmulator, done: Any, mig: compute_v1.InstanceGroupManager
) -> compute_v1.BackendService:
    checks = gcp.client(compute_v1.HealthChecksClient)
    done(
        checks.insert(
            project=P, health_check_resource=compute_v1.HealthCheck(name="web-hc", type_="HTTP")
        )
    )
    services = gcp.client(compute_v1.BackendServicesClient)
    done(
        services.insert(
            project=P,
            backend_service_resource=compute_v1.BackendService(
                name="web",
                health_checks=["global/healthChecks/web-hc"],
                backends=[compute_v1.Backend(group=mig.instance_group)],
            ),
        )
    )
    return services.get(project=P, backend_service="web")


def test_health_checks_insert_get_list_delete(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.HealthChecksClient)
    done(
        client.insert(
            project=P, health_check_resource=compute_v1.HealthCheck(name="hc", type_="TCP")
        )
    )
    check = client.get(project=P, health_check="hc")
    assert (check.type_, check.check_interval_sec, check.tcp_health_check.port) == ("TCP", 5, 80)
    assert [c.name for c in client.list(project=P)] == ["hc"]
    done(client.delete(project=P, health_check="hc"))
    with pytest.raises(exceptions.NotFound):
        client.delete(project=P, health_check="hc")


def test_backend_service_crud_fingerprint_and_in_use(gcp: ComputeEmulator, done: Any) -> None:
    mig = make_mig(gcp, done, size=1)
    service = make_backend(gcp, done, mig)
    client = gcp.client(compute_v1.BackendServicesClient)
    backend = service.backends[0]
    assert (backend.balancing_mode, backend.capacity_scaler, service.protocol) == (
        "UTILIZATION",
        1.0,
        "HTTP",
    )
    assert [s.name for s in client.list(project=P)] == ["web"]
    stale = service.fingerprint
    done(
        client.patch(
            project=P,
            backend_service="web",
            backend_service_resource=compute_v1.BackendService(
                fingerprint=stale,
                backends=[compute_v1.Backend(group=mig.instance_group, capacity_scaler=0.5)],
            ),
        )
    )
    patched = client.get(project=P, backend_service="web")
    assert patched.backends[0].capacity_scaler == 0.5
    assert patched.health_checks == service.health_checks
    assert patched.fingerprint != stale
    with pytest.raises(exceptions.PreconditionFailed) as conflict:
        client.patch(
            project=P,
            backend_service="web",
            backend_service_resource={"fingerprint": stale, "description": "x"},
        )
    assert reason(conflict.value) == "conditionNotMet"
    replacement = compute_v1.BackendService(patched)
    replacement.backends = []
    replacement.description = "drained"
    done(client.update(project=P, backend_service="web", backend_service_resource=replacement))
    assert client.get(project=P, backend_service="web").description == "drained"
    with pytest.raises(exceptions.BadRequest, match="capacityScaler"):
        client.patch(
            project=P,
            backend_service="web",
            backend_service_resource={
                "backends": [{"group": mig.instance_group, "capacity_scaler": 0.05}]
            },
        )
    with pytest.raises(exceptions.BadRequest) as in_use:
        gcp.client(compute_v1.HealthChecksClient).delete(project=P, health_check="web-hc")
    assert reason(in_use.value) == "resourceInUseByAnotherResource"
    done(client.delete(project=P, backend_service="web"))
    with pytest.raises(exceptions.NotFound):
        client.get(project=P, backend_service="web")


def test_mig_delete_refused_while_a_backend(gcp: ComputeEmulator, done: Any) -> None:
    mig = make_mig(gcp, done, size=1)
    make_backend(gcp, done, mig)
    with pytest.raises(exceptions.BadRequest) as in_use:
        gcp.client(compute_v1.RegionInstanceGroupManagersClient).delete(
            project=P, region=R, instance_group_manager="web-v001"
        )
    assert reason(in_use.value) == "resourceInUseByAnotherResource"


def test_get_health_follows_instance_state_and_test_controls(
    gcp: ComputeEmulator, done: Any
) -> None:
    gcp.clock.freeze()
    mig = make_mig(gcp, done, size=2)
    make_backend(gcp, done, mig)
    client = gcp.client(compute_v1.BackendServicesClient)

    def health() -> dict[str, str]:
        result = client.get_health(
            project=P,
            backend_service="web",
            resource_group_reference_resource=compute_v1.ResourceGroupReference(
                group=mig.instance_group
            ),
        )
        return {h.instance.rsplit("/", 1)[-1]: h.health_state for h in result.health_status}

    first, second = (m.name for m in managed(gcp))
    assert health() == {first: "UNHEALTHY", second: "UNHEALTHY"}  # still PROVISIONING
    gcp.clock.advance(2)
    assert health() == {first: "HEALTHY", second: "HEALTHY"}
    gcp.set_health(first, "UNHEALTHY")
    gcp.set_instance_status(second, "TERMINATED")
    assert health() == {first: "UNHEALTHY", second: "UNHEALTHY"}
    with pytest.raises(exceptions.BadRequest):
        client.get_health(
            project=P,
            backend_service="web",
            resource_group_reference_resource={"group": f"regions/{R}/instanceGroups/other"},
        )


def test_regional_backend_services(gcp: ComputeEmulator, done: Any) -> None:
    gcp.clock.freeze()
    mig = make_mig(gcp, done, size=1)
    gcp.clock.advance(2)
    done(
        gcp.client(compute_v1.RegionHealthChecksClient).insert(
            project=P,
            region=R,
            health_check_resource={"name": "internal-hc", "type_": "TCP", "tcp_health_check": {}},
        )
    )
    client = gcp.client(compute_v1.RegionBackendServicesClient)
    op = client.insert(
        project=P,
        region=R,
        backend_service_resource={
            "name": "internal",
            "backends": [{"group": mig.instance_group}],
            "health_checks": [f"projects/{P}/regions/{R}/healthChecks/internal-hc"],
        },
    )
    assert op.region.endswith(R)
    done(op)
    service = client.get(project=P, region=R, backend_service="internal")
    assert service.load_balancing_scheme == "INTERNAL"
    done(
        client.patch(
            project=P,
            region=R,
            backend_service="internal",
            backend_service_resource={"fingerprint": service.fingerprint, "description": "d"},
        )
    )
    done(
        client.update(
            project=P,
            region=R,
            backend_service="internal",
            backend_service_resource=client.get(project=P, region=R, backend_service="internal"),
        )
    )
    assert [s.description for s in client.list(project=P, region=R)] == ["d"]
    health = client.get_health(
        project=P,
        region=R,
        backend_service="internal",
        resource_group_reference_resource={"group": mig.instance_group},
    )
    assert [h.health_state for h in health.health_status] == ["HEALTHY"]
    done(client.delete(project=P, region=R, backend_service="internal"))


def test_firewalls_crud_with_tags_and_ranges(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.FirewallsClient)
    done(
        client.insert(
            project=P,
            firewall_resource=compute_v1.Firewall(
                name="web-http",
                target_tags=["web"],
                source_ranges=["10.0.0.0/8"],
                allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["80"])],
            ),
        )
    )
    rule = client.get(project=P, firewall="web-http")
    assert (rule.direction, rule.priority, list(rule.target_tags)) == ("INGRESS", 1000, ["web"])
    assert rule.network.endswith("/global/networks/default")
    done(
        client.patch(
            project=P,
            firewall="web-http",
            firewall_resource={"source_tags": ["lb"], "priority": 900},
        )
    )
    patched = client.get(project=P, firewall="web-http")  # PATCH merges: unsent fields are kept
    assert (list(patched.source_tags), list(patched.source_ranges), patched.priority) == (
        ["lb"],
        ["10.0.0.0/8"],
        900,
    )
    done(
        client.update(
            project=P,
            firewall="web-http",
            firewall_resource={"name": "web-http", "denied": [{"I_p_protocol": "all"}]},
        )
    )
    replaced = client.get(project=P, firewall="web-http")
    assert not replaced.allowed
    assert not replaced.target_tags
    assert list(replaced.source_ranges) == ["0.0.0.0/0"]
    assert [f.name for f in client.list(project=P)] == ["web-http"]
    with pytest.raises(exceptions.BadRequest, match="CIDR"):
        client.insert(
            project=P,
            firewall_resource={
                "name": "bad",
                "source_ranges": ["10.0.0.0/40"],
                "allowed": [{"I_p_protocol": "tcp"}],
            },
        )
    done(client.delete(project=P, firewall="web-http"))
    assert list(client.list(project=P)) == []


# -- operations ----------------------------------------------------------------------------------


def test_operations_stay_running_for_configured_polls(gcp: ComputeEmulator) -> None:
    gcp.operations.running_polls = 2
    ops = gcp.client(compute_v1.GlobalOperationsClient)
    op = gcp.client(compute_v1.FirewallsClient).insert(
        project=P, firewall_resource={"name": "fw", "allowed": [{"I_p_protocol": "tcp"}]}
    )
    assert ops.get(project=P, operation=op.name).status == RUNNING
    assert ops.wait(project=P, operation=op.name).status == RUNNING
    assert ops.get(project=P, operation=op.name).status == DONE
    regional = gcp.client(compute_v1.RegionOperationsClient)
    rop = gcp.client(compute_v1.RegionInstanceTemplatesClient).insert(
        project=P, region=R, instance_template_resource=template()
    )
    assert regional.get(project=P, region=R, operation=rop.name).status == RUNNING
    assert wait_for_operation(rop, gcp.endpoint).status == DONE
    assert gcp.count("regionOperations.*") == 3
    with pytest.raises(exceptions.NotFound):
        ops.get(project=P, operation="operation-nope")


def test_asynchronous_failure_ends_done_with_error(gcp: ComputeEmulator) -> None:
    gcp.faults.fail_operation(
        "firewalls.insert", status=409, code="RESOURCE_ALREADY_EXISTS", message="raced"
    )
    client = gcp.client(compute_v1.FirewallsClient)
    op = client.insert(
        project=P, firewall_resource={"name": "fw", "allowed": [{"I_p_protocol": "tcp"}]}
    )
    assert op.status == RUNNING
    with pytest.raises(exceptions.Conflict) as failed:
        wait_for_operation(op, gcp.endpoint)
    assert failed.value.errors[0].code == "RESOURCE_ALREADY_EXISTS"
    final = gcp.client(compute_v1.GlobalOperationsClient).get(project=P, operation=op.name)
    assert (final.http_error_status_code, final.error.errors[0].message) == (409, "raced")
    assert list(client.list(project=P)) == []  # a failed mutation changes nothing


def test_request_id_makes_a_retried_mutation_idempotent(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.InstanceTemplatesClient)
    request = {
        "project": P,
        "instance_template_resource": template(),
        "request_id": "2f1c7d1e-0000-4000-8000-000000000001",
    }
    first = client.insert(request=request)
    again = client.insert(request=request)  # a retry after a lost response: no 409
    assert again.name == first.name
    done(again)
    assert len(list(client.list(project=P))) == 1


# -- errors, faults, counting ----------------------------------------------------------------------


def test_unknown_body_and_query_fields_are_rejected(gcp: ComputeEmulator) -> None:
    url = f"{gcp.endpoint}/compute/v1/projects/{P}/global/instanceTemplates"
    body = {"name": "web", "properties": {"machineType": "e2-small", "inventedField": 1}}
    response = requests.post(url, data=json.dumps(body), timeout=5)
    error = exceptions.from_http_response(response)
    assert isinstance(error, exceptions.BadRequest)
    assert "inventedField" in error.message
    assert response.json()["error"]["errors"][0]["reason"] == "invalid"
    response = requests.get(url, params={"inventedParam": "1"}, timeout=5)
    assert response.status_code == 400
    assert gcp.count("instanceTemplates.*") == 2


@pytest.mark.parametrize(
    ("status", "kind", "expected_reason"),
    [
        (429, exceptions.TooManyRequests, "rateLimitExceeded"),
        (503, exceptions.ServiceUnavailable, "backendError"),
    ],
)
def test_injected_faults_raise_the_clients_real_exceptions(
    gcp: ComputeEmulator, status: int, kind: type[Exception], expected_reason: str
) -> None:
    gcp.faults.add("healthChecks.insert", status)
    client = gcp.client(compute_v1.HealthChecksClient)
    with pytest.raises(kind) as raised:
        client.insert(project=P, health_check_resource={"name": "hc", "type_": "TCP"})
    assert reason(raised.value) == expected_reason  # type: ignore[arg-type]
    assert gcp.count("healthChecks.insert") == 1  # mutations are not retried by the client
    assert list(client.list(project=P)) == []  # other methods are unaffected


def test_client_retries_a_503_on_get_and_the_counter_sees_both(
    gcp: ComputeEmulator, done: Any
) -> None:
    client = gcp.client(compute_v1.HealthChecksClient)
    done(client.insert(project=P, health_check_resource={"name": "hc", "type_": "TCP"}))
    gcp.faults.add("healthChecks.get", 503, times=1)
    assert client.get(project=P, health_check="hc").name == "hc"
    assert gcp.count("healthChecks.get") == 2
    gcp.faults.add("healthChecks.*", 429)
    with pytest.raises(exceptions.TooManyRequests):
        client.get(project=P, health_check="hc")
    assert gcp.count("healthChecks.get") == 3  # 429 is not retried
    assert gcp.count() == gcp.count("healthChecks.*") + gcp.count("globalOperations.*")


def test_list_paging_follows_next_page_token(gcp: ComputeEmulator, done: Any) -> None:
    client = gcp.client(compute_v1.InstanceTemplatesClient)
    for index in range(5):
        done(client.insert(project=P, instance_template_resource=template(f"t{index}")))
    before = gcp.count("instanceTemplates.list")
    names = [t.name for t in client.list(request={"project": P, "max_results": 2})]
    assert names == [f"t{i}" for i in range(5)]
    assert gcp.count("instanceTemplates.list") - before == 3


def test_rate_limit_injected_by_the_fault_proxy(gcp: ComputeEmulator, fault_proxy: Any) -> None:
    proxy = fault_proxy(gcp.endpoint)
    proxy.add(gcp_rate_limit(), method="GET", path=r"/global/firewalls$", times=1)
    client = make_client(compute_v1.FirewallsClient, proxy.url)
    with pytest.raises(exceptions.TooManyRequests) as throttled:
        list(client.list(project=P))
    assert reason(throttled.value) == "rateLimitExceeded"
    assert gcp.count("firewalls.list") == 0
    assert proxy.answered() == 1
    assert list(client.list(project=P)) == []
    assert gcp.count("firewalls.list") == 1 == proxy.forwarded()


def test_concurrent_inserts_of_one_name_create_it_once(gcp: ComputeEmulator) -> None:
    client = gcp.client(compute_v1.FirewallsClient)

    def insert(_: int) -> str:
        try:
            client.insert(
                project=P, firewall_resource={"name": "fw", "allowed": [{"I_p_protocol": "tcp"}]}
            )
        except exceptions.Conflict:
            return "conflict"
        return "created"

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(insert, range(16)))
    assert outcomes == ["conflict"] * 15 + ["created"]
    assert gcp.count("firewalls.insert") == 16
