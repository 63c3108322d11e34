"""The Compute emulator's rules from GCE's documentation (tests/README.md lists each with its
source), through the real google-cloud-compute clients: named ports and where traffic goes,
``operations.wait`` blocking to its server deadline, regional backend services, the fingerprint a
backend-service change must carry, label and name rules, and what firewall rules let in."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from support.gcp import wait_for_operation

from .conftest import PROJECT, REGION

pytestmark = pytest.mark.gcp
GROUP = f"projects/{PROJECT}/regions/{REGION}/instanceGroups/web-v001"


def done(emulator: Any, operation: Any) -> Any:
    return wait_for_operation(operation, emulator.endpoint)


def template(
    emulator: Any, labels: dict[str, str] | None = None, tags: tuple[str, ...] = ()
) -> Any:
    return emulator.client(compute_v1.RegionInstanceTemplatesClient).insert(
        project=PROJECT,
        region=REGION,
        instance_template_resource={
            "name": "web-v001",
            "properties": {
                "machine_type": "e2-small",
                "labels": labels or {},
                "tags": {"items": list(tags)},
            },
        },
    )


def mig(emulator: Any, **fields: Any) -> None:
    done(emulator, template(emulator, tags=("web-v001",)))
    body = {
        "name": "web-v001",
        "base_instance_name": "web-v001",
        "target_size": 2,
        "instance_template": f"projects/{PROJECT}/regions/{REGION}/instanceTemplates/web-v001",
    } | fields
    done(
        emulator,
        emulator.client(compute_v1.RegionInstanceGroupManagersClient).insert(
            project=PROJECT, region=REGION, instance_group_manager_resource=body
        ),
    )


def health_check(emulator: Any, region: str | None = None) -> str:
    body = {"name": "hc", "type_": "TCP", "tcp_health_check": {"port": 8080}}
    if region:
        client = emulator.client(compute_v1.RegionHealthChecksClient)
        done(emulator, client.insert(project=PROJECT, region=region, health_check_resource=body))
        return f"projects/{PROJECT}/regions/{region}/healthChecks/hc"
    client = emulator.client(compute_v1.HealthChecksClient)
    done(emulator, client.insert(project=PROJECT, health_check_resource=body))
    return f"projects/{PROJECT}/global/healthChecks/hc"


def set_named_ports(emulator: Any, ports: list[dict[str, Any]], **extra: Any) -> Any:
    return emulator.client(compute_v1.RegionInstanceGroupsClient).set_named_ports(
        project=PROJECT,
        region=REGION,
        instance_group="web-v001",
        region_instance_groups_set_named_ports_request_resource={"named_ports": ports} | extra,
    )


def test_a_backend_service_reaches_only_groups_with_its_named_port(gcp_compute: Any) -> None:
    mig(gcp_compute, named_ports=[{"name": "http", "port": 8080}])  # output only: ignored
    gcp_compute.clock.advance(5)
    groups = gcp_compute.client(compute_v1.RegionInstanceGroupsClient)
    assert (
        list(groups.get(project=PROJECT, region=REGION, instance_group="web-v001").named_ports)
        == []
    )
    done(
        gcp_compute,
        gcp_compute.client(compute_v1.BackendServicesClient).insert(
            project=PROJECT,
            backend_service_resource={
                "name": "web",
                "port_name": "http",
                "load_balancing_scheme": "EXTERNAL_MANAGED",
                "health_checks": [health_check(gcp_compute)],
                "backends": [{"group": GROUP}],
            },
        ),
    )
    # Health checks probe their explicit port: green, yet the service has no port to send to.
    health = gcp_compute.client(compute_v1.BackendServicesClient).get_health(
        project=PROJECT, backend_service="web", resource_group_reference_resource={"group": GROUP}
    )
    assert {s.health_state for s in health.health_status} == {"HEALTHY"}
    assert gcp_compute.receivers("web") == []
    stale = groups.get(project=PROJECT, region=REGION, instance_group="web-v001").fingerprint
    done(gcp_compute, set_named_ports(gcp_compute, [{"name": "http", "port": 8080}]))
    assert len(gcp_compute.receivers("web")) == 2
    with pytest.raises(exceptions.PreconditionFailed):
        set_named_ports(gcp_compute, [], fingerprint=stale)
    with pytest.raises(exceptions.BadRequest, match="Duplicate"):
        set_named_ports(gcp_compute, [{"name": "a", "port": 1}, {"name": "a", "port": 2}])
    with pytest.raises(exceptions.BadRequest, match="port"):
        set_named_ports(gcp_compute, [{"name": "a", "port": 70000}])


def test_wait_blocks_until_done_or_its_server_deadline(gcp_compute: Any) -> None:
    gcp_compute.operations.durations["regionInstanceTemplates.insert"] = 0.3
    gcp_compute.operations.wait_seconds = 5.0
    operation = template(gcp_compute)
    assert operation.status == compute_v1.Operation.Status.RUNNING
    waits = compute_v1.RegionOperationsClient
    client = gcp_compute.client(waits)
    started = time.monotonic()
    answer = client.wait(project=PROJECT, region=REGION, operation=operation.name)
    assert answer.status == compute_v1.Operation.Status.DONE, "one wait, blocked until done"
    assert 0.2 <= time.monotonic() - started < 3
    # Longer than the server deadline: wait answers RUNNING at the deadline, not an error.
    gcp_compute.operations.durations["regionInstanceGroupManagers.insert"] = 3600
    gcp_compute.operations.wait_seconds = 0.2
    long = gcp_compute.client(compute_v1.RegionInstanceGroupManagersClient).insert(
        project=PROJECT,
        region=REGION,
        instance_group_manager_resource={
            "name": "web-v001",
            "base_instance_name": "web-v001",
            "target_size": 0,
            "instance_template": f"projects/{PROJECT}/regions/{REGION}/instanceTemplates/web-v001",
        },
    )
    answer = client.wait(project=PROJECT, region=REGION, operation=long.name)
    assert answer.status == compute_v1.Operation.Status.RUNNING
    gcp_compute.clock.advance(3600)  # the emulator's virtual clock: an hour passes at once
    answer = client.wait(project=PROJECT, region=REGION, operation=long.name)
    assert answer.status == compute_v1.Operation.Status.DONE


def test_regional_backend_services_take_their_scheme_region_and_health_check(
    gcp_compute: Any,
) -> None:
    mig(gcp_compute)
    regional = gcp_compute.client(compute_v1.RegionBackendServicesClient)
    body: dict[str, Any] = {
        "name": "internal",
        "load_balancing_scheme": "INTERNAL_MANAGED",
        "backends": [{"group": GROUP}],
    }
    with pytest.raises(exceptions.BadRequest, match="health check"):
        regional.insert(project=PROJECT, region=REGION, backend_service_resource=body)
    global_check = health_check(gcp_compute)
    with pytest.raises(exceptions.BadRequest, match="health check of region"):
        regional.insert(
            project=PROJECT,
            region=REGION,
            backend_service_resource=body | {"health_checks": [global_check]},
        )
    body["health_checks"] = [health_check(gcp_compute, REGION)]
    with pytest.raises(exceptions.BadRequest, match="its own region"):
        regional.insert(project=PROJECT, region="europe-west1", backend_service_resource=body)
    with pytest.raises(exceptions.BadRequest, match="loadBalancingScheme"):
        regional.insert(
            project=PROJECT,
            region=REGION,
            backend_service_resource=body | {"load_balancing_scheme": "INTERNAL_SELF_MANAGED"},
        )
    done(
        gcp_compute,
        regional.insert(project=PROJECT, region=REGION, backend_service_resource=body),
    )
    with pytest.raises(exceptions.BadRequest, match="loadBalancingScheme"):
        gcp_compute.client(compute_v1.BackendServicesClient).insert(
            project=PROJECT,
            backend_service_resource={
                "name": "g",
                "load_balancing_scheme": "INTERNAL",
                "health_checks": [global_check],
            },
        )


def test_a_backend_service_change_must_carry_the_current_fingerprint(gcp_compute: Any) -> None:
    client = gcp_compute.client(compute_v1.BackendServicesClient)
    check = health_check(gcp_compute)
    done(
        gcp_compute,
        client.insert(
            project=PROJECT, backend_service_resource={"name": "web", "health_checks": [check]}
        ),
    )
    with pytest.raises(exceptions.PreconditionFailed):
        client.patch(
            project=PROJECT, backend_service="web", backend_service_resource={"description": "x"}
        )
    current = client.get(project=PROJECT, backend_service="web").fingerprint
    done(
        gcp_compute,
        client.patch(
            project=PROJECT,
            backend_service="web",
            backend_service_resource={"description": "x", "fingerprint": current},
        ),
    )


@pytest.mark.parametrize(
    "labels",
    [{"Upper": "x"}, {"1st": "x"}, {"k": "Value"}, {"k": "a.b"}, {"k" * 64: "x"}, {"k": "v" * 64}],
)
def test_labels_follow_gce_rules(gcp_compute: Any, labels: dict[str, str]) -> None:
    with pytest.raises(exceptions.BadRequest, match="label"):
        template(gcp_compute, labels=labels)


def test_names_and_base_instance_names_follow_gce_rules(gcp_compute: Any) -> None:
    with pytest.raises(exceptions.BadRequest, match="name"):
        gcp_compute.client(compute_v1.HealthChecksClient).insert(
            project=PROJECT,
            health_check_resource={"name": "a" * 64, "type_": "TCP", "tcp_health_check": {}},
        )
    with pytest.raises(exceptions.BadRequest, match="baseInstanceName"):
        mig(gcp_compute, base_instance_name="b" * 59)


def test_firewall_verdicts_follow_priority_and_the_implied_deny(gcp_compute: Any) -> None:
    mig(gcp_compute)
    client = gcp_compute.client(compute_v1.FirewallsClient)
    done(
        gcp_compute,
        client.insert(
            project=PROJECT,
            firewall_resource={
                "name": "ssh",
                "allowed": [{"I_p_protocol": "tcp", "ports": ["22"]}],
                "source_ranges": ["0.0.0.0/0"],
            },
        ),
    )
    vm = next(iter(gcp_compute.fleet.vms.values())).name
    assert gcp_compute.firewall_verdict(vm, "203.0.113.9", "tcp", 22) == "allow"
    assert gcp_compute.firewall_verdict(vm, "203.0.113.9", "tcp", 80) == "deny", "implied"
    done(
        gcp_compute,
        client.insert(
            project=PROJECT,
            firewall_resource={
                "name": "off",
                "priority": 1000,
                "denied": [{"I_p_protocol": "all"}],
                "target_tags": ["web-v001"],
            },
        ),
    )
    assert gcp_compute.firewall_verdict(vm, "203.0.113.9", "tcp", 22) == "deny", "deny wins a tie"
    with pytest.raises(exceptions.BadRequest, match="ports"):
        client.insert(
            project=PROJECT,
            firewall_resource={
                "name": "bad",
                "allowed": [{"I_p_protocol": "tcp", "ports": ["9-1"]}],
            },
        )


def test_a_regional_passthrough_service_needs_no_named_port(gcp_compute: Any) -> None:
    mig(gcp_compute)
    gcp_compute.clock.advance(5)
    check = health_check(gcp_compute, REGION)
    regional = gcp_compute.client(compute_v1.RegionBackendServicesClient)
    for name, scheme, protocol in (("nlb", "INTERNAL", "TCP"), ("alb", "INTERNAL_MANAGED", "HTTP")):
        body = {
            "name": name,
            "protocol": protocol,
            "load_balancing_scheme": scheme,
            "health_checks": [check],
            "backends": [{"group": GROUP}],
        }
        done(
            gcp_compute,
            regional.insert(project=PROJECT, region=REGION, backend_service_resource=body),
        )
    assert len(gcp_compute.receivers("nlb", region=REGION)) == 2
    assert gcp_compute.receivers("alb", region=REGION) == [], "a proxy one needs its port name"
