"""The crash matrix on the real kube-apiserver (issue 14, item 8): red/black and rollback, the
deployer killed right after the k-th request was applied by the API server and before it saw the
answer (``cloudrig.testing.CrashAfterRequest``), for every k of the run, then resumed by a fresh
process (re-running the same call, or by deployment id; ``support.crash_matrix``).

Invariants are read from the API server with a plain kubernetes client as the admin user, never
through the provider: exactly one new ReplicaSet; the previous one intact at its replicas; the
Service's selector and the pods' traffic labels putting the traffic exactly where the record says;
no orphaned ReplicaSet or pod; the record finished (succeeded).

Counting: every request passes the provider's ``GatedRest`` once, a watch included (the gate sees
the answer's headers, so a watch is one kill point however many events it streams; the crash
then comes before any event is read).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig import Moniker
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import RedBlack
from cloudrig_kubernetes import metadata
from support.crash_matrix import (
    RESUMES,
    Go,
    Resume,
    count_requests,
    crash_and_resume,
    eventually,
    selected,
)
from support.kube import KubeCluster

from .conftest import ACCOUNT, IMAGE_V1, IMAGE_V2, KUBE, where
from .helpers import Admin

pytestmark = pytest.mark.kube

CLUSTER = Moniker(app="shop", stack="prod")
V1, V2 = "shop-prod-v001", "shop-prod-v002"


# -- the cloud's own state ------------------------------------------------------------------------
def replica_sets(admin: Admin) -> dict[str, Any]:
    """Cloudrig's ReplicaSets of the namespace not being deleted, by name."""
    sets = admin.apps.list_namespaced_replica_set(
        admin.namespace, label_selector=metadata.app_selector("shop")
    ).items
    return {rs.metadata.name: rs for rs in sets if rs.metadata.deletion_timestamp is None}


def live_pods(admin: Admin, name: str) -> list[Any]:
    return [
        p
        for p in admin.pods(metadata.group_selector(name))
        if p.metadata.deletion_timestamp is None
    ]


def in_traffic(pod: Any) -> bool:
    return (pod.metadata.labels or {}).get(metadata.TRAFFIC) == metadata.TRAFFIC_ON


def ready(pod: Any) -> bool:
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def assert_group(admin: Admin, rs: Any, *, replicas: int, enabled: bool) -> None:
    """A group at ``replicas`` with that many ready pods, every pod and the pod template in
    traffic exactly when ``enabled``."""
    name = rs.metadata.name
    assert rs.spec.replicas == replicas, f"{name}: {rs.spec.replicas} replicas"
    template = (rs.spec.template.metadata.labels or {}).get(metadata.TRAFFIC)
    assert (template == metadata.TRAFFIC_ON) is enabled, f"{name}: template traffic {template}"
    pods = live_pods(admin, name)
    assert len(pods) == replicas, f"{name}: {len(pods)} pods"
    assert all(ready(p) for p in pods), f"{name}: not all pods ready"
    labels = {p.metadata.name: in_traffic(p) for p in pods}
    assert all(v is enabled for v in labels.values()), f"{name}: traffic labels {labels}"


def assert_service(admin: Admin, serving: set[str]) -> None:
    """``web`` selects member pods in traffic, and its endpoints are the pods of ``serving``."""
    service = admin.core.read_namespaced_service("web", admin.namespace)
    assert service.spec.selector == {
        metadata.lb_label("web"): metadata.MEMBER,
        metadata.TRAFFIC: metadata.TRAFFIC_ON,
    }, service.spec.selector
    ips = {p.status.pod_ip for name in serving for p in live_pods(admin, name)}
    assert admin.endpoint_ips("web") == ips


def assert_nothing_orphaned(admin: Admin, groups: set[str]) -> None:
    """Every pod of the app belongs to one of ``groups`` (owned by its ReplicaSet)."""
    owners = {}
    for pod in admin.pods(metadata.app_selector("shop")):
        if pod.metadata.deletion_timestamp is not None:
            continue
        refs = pod.metadata.owner_references or []
        owners[pod.metadata.name] = {r.name for r in refs if r.kind == "ReplicaSet"}
    stray = {p: o for p, o in owners.items() if len(o) != 1 or not o <= groups}
    assert not stray, f"orphaned pods: {stray}"


def summary(admin: Admin) -> dict[str, str]:
    """What the cluster shows, for failure messages: per ReplicaSet its replicas, template traffic
    label and pods in traffic."""
    out = {}
    for name, rs in replica_sets(admin).items():
        template = (rs.spec.template.metadata.labels or {}).get(metadata.TRAFFIC) or "-"
        pods = live_pods(admin, name)
        out[name] = (
            f"replicas={rs.spec.replicas} template={template} "
            f"pods in traffic={sum(in_traffic(p) for p in pods)}/{len(pods)}"
        )
    return out


def capacity_bounds(rs: Any) -> dict[str, int]:
    return dict(json.loads((rs.metadata.annotations or {}).get(metadata.CAPACITY, "{}")))


# -- scenarios ------------------------------------------------------------------------------------
def deploy(image: str, strategy: Any = None) -> Go:
    return lambda rig: rig.deploy(KUBE.spec(rig_namespace(rig), image), strategy or RedBlack())


def rollback() -> Go:
    return lambda rig: rig.rollback(ACCOUNT, "shop-prod", rig_namespace(rig))


def rig_namespace(rig: cloudrig.Rig) -> str:
    (namespace,) = rig.account(ACCOUNT).regions
    return namespace


SCENARIOS: dict[str, tuple[list[Go], Go]] = {
    # name: (setup, the operation crashed)
    "red-black": ([deploy(IMAGE_V1)], deploy(IMAGE_V2)),
    "rollback": ([deploy(IMAGE_V1), deploy(IMAGE_V2)], rollback()),
}


@pytest.fixture
def admin(kube_cluster: KubeCluster, kube_namespace: str) -> Iterator[Admin]:
    admin = Admin(kube_cluster, kube_namespace)
    yield admin
    admin.close()


@pytest.fixture
def connect(
    kube_cluster: KubeCluster, kube_namespace: str, kubelet: Any, tmp_path: Path
) -> Callable[[], cloudrig.Rig]:
    settings = where(kube_cluster.kubeconfig(), kube_namespace)
    return lambda: KUBE.connect(tmp_path, settings=settings)


def set_up(connect: Callable[[], cloudrig.Rig], scenario: str) -> Go:
    setup, go = SCENARIOS[scenario]
    with connect() as rig:
        KUBE.upsert_web(rig, rig_namespace(rig))
        for step in setup:
            step(rig).raise_for_status()
    return go


KILL_POINTS = {"red-black": 22, "rollback": 24}
"""At least the requests of each uncrashed operation (21 and 22 when measured; a little headroom so
that a change of a request or two in the engine does not shrink the matrix silently:
``test_the_kill_points_cover_every_request`` fails when a run outgrows them). The matrix crashes
after each of them; a k past the end of the run crashes nothing and checks a plain run."""


def _cases() -> list[Any]:
    return [
        pytest.param(scenario, k, resume, id=f"{scenario}-{resume}-k{k}")
        for scenario, points in KILL_POINTS.items()
        for k in range(1, points + 1)
        for resume in RESUMES
        if selected(k, resume, stride=3)  # `make test`: a third of the pairs; `make chaos`: all
    ]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_kill_points_cover_every_request(
    connect: Callable[[], cloudrig.Rig], scenario: str
) -> None:
    go = set_up(connect, scenario)
    with connect() as rig:
        requests = count_requests(rig, go)
    assert requests <= KILL_POINTS[scenario], f"raise KILL_POINTS[{scenario!r}] to {requests}"


@pytest.mark.parametrize(("scenario", "k", "resume"), _cases())
def test_crash_after_every_request(
    connect: Callable[[], cloudrig.Rig], admin: Admin, scenario: str, k: int, resume: Resume
) -> None:
    go = set_up(connect, scenario)
    outcome = crash_and_resume(
        connect, go, k, resume, account=ACCOUNT, region=admin.namespace, moniker=CLUSTER
    )
    record = outcome.record
    assert len(outcome.records) == 1, [(r.id, r.status) for r in outcome.records]
    assert record.status is DeploymentStatus.SUCCEEDED, (outcome.what, record.error, summary(admin))
    if scenario == "red-black":
        serving, kept = V2, V1
        assert record.state.names["new"] == V2
        assert record.state.verified == V2
    else:
        serving, kept = V1, V2
        assert (record.state.target, record.state.bad) == (V1, V2)
        assert record.state.verified == V1

    def cloud() -> None:
        sets = replica_sets(admin)
        assert set(sets) == {V1, V2}, f"ReplicaSets: {sorted(sets)}"
        assert_group(admin, sets[serving], replicas=2, enabled=True)
        assert_group(admin, sets[kept], replicas=2, enabled=False)
        assert capacity_bounds(sets[serving]) == {"min": 2, "max": 4}
        assert_service(admin, {serving})
        assert_nothing_orphaned(admin, {V1, V2})

    eventually(cloud)
