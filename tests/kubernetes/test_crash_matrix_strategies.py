"""The crash matrix of ``test_crash_matrix.py`` for the other strategies (highlander, rolling
red/black, canary) on the real kube-apiserver: the cheapest real provider to kill after every
request. Same kill switch, same resumptions, invariants read with a plain kubernetes client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RollingRedBlack
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
from .test_crash_matrix import (
    CLUSTER,
    V1,
    V2,
    assert_group,
    assert_nothing_orphaned,
    assert_service,
    capacity_bounds,
    deploy,
    replica_sets,
    rig_namespace,
    summary,
)

pytestmark = pytest.mark.kube

CANARY = Canary(
    metrics=(MetricSpec(name="latency"),),
    intervals=1,
    interval=0.2,
    traffic_percent=25,
    canary_capacity=1,
)
SCENARIOS: dict[str, tuple[list[Go], Go]] = {
    "highlander": ([deploy(IMAGE_V1)], deploy(IMAGE_V2, Highlander())),
    "rolling": ([deploy(IMAGE_V1)], deploy(IMAGE_V2, RollingRedBlack(steps=(50, 100)))),
    "canary": ([deploy(IMAGE_V1)], deploy(IMAGE_V2, CANARY)),
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


KILL_POINTS = {"highlander": 26, "rolling": 50, "canary": 45}
"""At least the requests of each uncrashed run (24, 48 and 43 when measured; see
``test_crash_matrix.KILL_POINTS``)."""

FINAL: dict[str, dict[str, bool]] = {
    # the ReplicaSets left, each at 2 replicas, and whether in traffic
    "highlander": {V2: True},
    "rolling": {V1: False, V2: True},
    "canary": {V1: False, V2: True},  # the baseline (v003) destroyed, the canary grown to 2
}


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
        pytest.param(scenario, k, resume, id=f"{scenario}-{resume}-k{k}")
        for scenario, points in KILL_POINTS.items()
        for k in range(1, points + 1)
        for resume in RESUMES
        if selected(k, resume, stride=12)  # `make test`: a twelfth of the pairs; `make chaos`: all
    ]


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
    assert record.state.verified == V2
    final = FINAL[scenario]

    def cloud() -> None:
        sets = replica_sets(admin)
        assert set(sets) == set(final), (outcome.what, summary(admin))
        for name, enabled in final.items():
            assert_group(admin, sets[name], replicas=2, enabled=enabled)
        assert capacity_bounds(sets[V2]) == {"min": 2, "max": 4}
        assert_service(admin, {V2})
        assert_nothing_orphaned(admin, set(final))

    eventually(cloud)
