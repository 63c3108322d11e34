"""The crash matrix on the Compute REST emulator through the real google-cloud-compute clients
(issue 14, item 8): red/black and rollback, the deployer killed right after the k-th request was
applied by the server and before it saw the answer (``cloudrig.testing.CrashAfterRequest``), for
every k of the run, then resumed by a fresh process (re-running the same call, or by deployment
id; ``support.crash_matrix``).

Invariants are read from the emulator with plain compute_v1 clients, never through the provider:
exactly one new managed instance group; the previous one intact at its size; the ``web`` backend
service's backends and capacity scalers putting the traffic exactly where the record says; no
orphaned instance template, MIG, autoscaler or deny rule; the record finished (succeeded).

Every request (operation polls included) passes the provider's ``GatedAdapter`` once; the health
waits poll, so the number of requests of a run varies by a few with timing (``KILL_POINTS``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig import Moniker
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import RedBlack
from support.crash_matrix import RESUMES, Go, Resume, count_requests, crash_and_resume, selected

from .conftest import ACCOUNT, GCP, IMAGE_V1, IMAGE_V2, PROJECT, REGION, fast_boot

pytestmark = pytest.mark.gcp

CLUSTER = Moniker(app="shop", stack="prod")
V1, V2 = "shop-prod-v001", "shop-prod-v002"


# -- the cloud's own state ------------------------------------------------------------------------
def cloud_state(emulator: Any) -> dict[str, Any]:
    """MIGs (target sizes), instance templates, autoscalers (bounds), ``web``'s backends
    (capacity scalers), deny rules and each group's named ports, read with plain compute_v1
    clients."""
    from google.cloud import compute_v1

    def client(cls: Any) -> Any:
        return emulator.client(cls)

    migs = list(
        client(compute_v1.RegionInstanceGroupManagersClient).list(project=PROJECT, region=REGION)
    )
    templates = client(compute_v1.RegionInstanceTemplatesClient).list(
        project=PROJECT, region=REGION
    )
    global_templates = client(compute_v1.InstanceTemplatesClient).list(project=PROJECT)
    autoscalers = client(compute_v1.RegionAutoscalersClient).list(project=PROJECT, region=REGION)
    service = client(compute_v1.BackendServicesClient).get(project=PROJECT, backend_service="web")
    firewalls = client(compute_v1.FirewallsClient).list(project=PROJECT)
    groups = client(compute_v1.RegionInstanceGroupsClient)
    return {
        "migs": {m.name: int(m.target_size) for m in migs},
        "templates": sorted(t.name for t in templates) + sorted(t.name for t in global_templates),
        "autoscalers": {
            a.name: (a.autoscaling_policy.min_num_replicas, a.autoscaling_policy.max_num_replicas)
            for a in autoscalers
        },
        "backends": {b.group.rsplit("/", 1)[-1]: b.capacity_scaler for b in service.backends},
        "deny_rules": sorted(f.name for f in firewalls if f.description.startswith("cloudrig")),
        "named_ports": {
            m.name: [
                (p.name, p.port)
                for p in groups.get(
                    project=PROJECT, region=REGION, instance_group=m.name
                ).named_ports
            ]
            for m in migs
        },
    }


def managed_instances(emulator: Any, name: str) -> int:
    from google.cloud import compute_v1

    listed = emulator.client(compute_v1.RegionInstanceGroupManagersClient).list_managed_instances(
        project=PROJECT, region=REGION, instance_group_manager=name
    )
    return sum(1 for i in listed if i.current_action not in ("DELETING", "ABANDONING"))


# -- scenarios ------------------------------------------------------------------------------------
def deploy(image: str, strategy: Any = None) -> Go:
    return lambda rig: rig.deploy(GCP.spec(REGION, image), strategy or RedBlack())


def rollback() -> Go:
    return lambda rig: rig.rollback(ACCOUNT, "shop-prod", REGION)


SCENARIOS: dict[str, tuple[list[Go], Go]] = {
    # name: (setup, the operation crashed)
    "red-black": ([deploy(IMAGE_V1)], deploy(IMAGE_V2)),
    "rollback": ([deploy(IMAGE_V1), deploy(IMAGE_V2)], rollback()),
}

KILL_POINTS = {"red-black": 36, "rollback": 23}
"""At least the requests of each uncrashed operation (measured: see tests/README.md; health polls
make it vary by a few): ``test_the_kill_points_cover_every_request`` fails when a run outgrows
them. A k past the end of the run crashes nothing and checks a plain run."""


@pytest.fixture
def connect(gcp_compute: Any, tmp_path: Path) -> Callable[[], cloudrig.Rig]:
    fast_boot(gcp_compute)
    return lambda: GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})


def set_up(connect: Callable[[], cloudrig.Rig], scenario: str) -> Go:
    setup, go = SCENARIOS[scenario]
    with connect() as rig:
        GCP.upsert_web(rig, REGION)
        for step in setup:
            step(rig).raise_for_status()
    return go


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_kill_points_cover_every_request(
    connect: Callable[[], cloudrig.Rig], scenario: str
) -> None:
    go = set_up(connect, scenario)
    with connect() as rig:
        requests = count_requests(rig, go)
    assert requests <= KILL_POINTS[scenario], f"raise KILL_POINTS[{scenario!r}] to {requests}"


def _cases() -> list[Any]:
    return [
        pytest.param(
            scenario,
            k,
            resume,
            id=f"{scenario}-{resume}-k{k}",
        )
        for scenario, points in KILL_POINTS.items()
        for k in range(1, points + 1)
        for resume in RESUMES
        if selected(k, resume, stride=4)  # `make test`: a quarter of the pairs; `make chaos`: all
    ]


@pytest.mark.parametrize(("scenario", "k", "resume"), _cases())
def test_crash_after_every_request(
    connect: Callable[[], cloudrig.Rig], gcp_compute: Any, scenario: str, k: int, resume: Resume
) -> None:
    go = set_up(connect, scenario)
    outcome = crash_and_resume(
        connect, go, k, resume, account=ACCOUNT, region=REGION, moniker=CLUSTER
    )
    record = outcome.record
    cloud = cloud_state(gcp_compute)
    assert len(outcome.records) == 1, [(r.id, r.status) for r in outcome.records]
    assert record.status is DeploymentStatus.SUCCEEDED, (outcome.what, record.error, cloud)
    if scenario == "red-black":
        serving = V2
        assert record.state.names["new"] == V2
        assert record.state.verified == V2
    else:
        serving = V1
        assert (record.state.target, record.state.bad) == (V1, V2)
        assert record.state.verified == V1
    assert cloud == {
        "migs": {V1: 2, V2: 2},
        "templates": [V1, V2],
        "autoscalers": {V1: (2, 4), V2: (2, 4)},
        "backends": {serving: 1.0},
        "deny_rules": [],
        "named_ports": {V1: [("http", 80)], V2: [("http", 80)]},
    }, outcome.what
    assert managed_instances(gcp_compute, V1) == managed_instances(gcp_compute, V2) == 2
