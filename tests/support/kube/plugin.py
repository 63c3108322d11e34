"""pytest plugin: the Kubernetes test target (loaded from tests/conftest.py's ``pytest_plugins``).

Fixtures:
- ``kube_cluster`` (session): a :class:`~support.kube.cluster.KubeCluster`, started on first use;
- ``kubelet`` (function): the cluster's kubelet simulator, its rules reset after the test;
- ``kube_namespace`` (function): a fresh namespace, deleted after the test;
- ``kube_limited_user`` (function): the user bound to nothing (tests grant it Roles with
  ``support.kube.rbac.grant_role``); skips on an existing cluster, which has no such user;
- ``kube_quota_namespace`` (function): a fresh namespace with a ResourceQuota (``QUOTA_PODS``
  pods) and a LimitRange (``LIMIT_CPU`` CPU per container at most), both enforced by admission.

Where the cluster comes from: ``CLOUDRIG_TEST_KUBECONFIG`` (any existing cluster), else the cached
kube-apiserver binaries, else a one-time build (needs root and the Debian packages). When none is
possible the tests skip with what to install, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from kubernetes import client

from .binaries import BinariesUnavailableError, ensure_binaries
from .cluster import KubeCluster, start_local, use_existing
from .kubelet import KubeletSimulator
from .local import ClusterStartError

KUBECONFIG_ENV = "CLOUDRIG_TEST_KUBECONFIG"
QUOTA_PODS, LIMIT_CPU = 3, "1"


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Kubernetes test target unavailable in CI: {message}", pytrace=False)
    pytest.skip(f"Kubernetes test target unavailable: {message}")


def _ensure_binaries_visibly(config: pytest.Config) -> Path:
    """Run the (possibly minutes-long, one-time) build with pytest's output capture suspended, so
    its progress reaches the terminal instead of looking like a hang."""
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is None:
        return ensure_binaries()
    with capture.global_and_fixture_disabled():
        return ensure_binaries()


@pytest.fixture(scope="session")
def kube_cluster(pytestconfig: pytest.Config) -> Iterator[KubeCluster]:
    """One API server for the whole session (local control plane or ``CLOUDRIG_TEST_KUBECONFIG``)."""
    existing = os.environ.get(KUBECONFIG_ENV)
    if existing:
        cluster = use_existing(Path(existing))
    else:
        try:
            bin_dir = _ensure_binaries_visibly(pytestconfig)
            started = time.monotonic()
            cluster = start_local(bin_dir)
        except (BinariesUnavailableError, ClusterStartError, FileNotFoundError) as exc:
            _unavailable(str(exc))
        cluster.start_seconds = time.monotonic() - started
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def kubelet(kube_cluster: KubeCluster) -> Iterator[KubeletSimulator]:
    """The kubelet simulator; rules a test adds are dropped when it ends."""
    kubelet = kube_cluster.kubelet
    if kubelet is None:
        pytest.skip(
            f"no kubelet simulator on an existing cluster ({KUBECONFIG_ENV}): its nodes run pods"
        )
    yield kubelet
    kubelet.reset()


@pytest.fixture
def kube_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    """A fresh namespace (created and deleted as the admin user, so test-user counts stay exact)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    with kube_cluster.api_client(kube_cluster.admin_user) as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        try:
            yield name
        finally:
            core.delete_namespace(name, _preload_content=False)


@pytest.fixture
def kube_limited_user(kube_cluster: KubeCluster) -> str:
    """The name of the user bound to no role (see ``support.kube.rbac``)."""
    if kube_cluster.limited_user not in kube_cluster.kubeconfigs:
        pytest.skip(f"no limited user on an existing cluster ({KUBECONFIG_ENV})")
    return kube_cluster.limited_user


def _quota_ready(core: client.CoreV1Api, namespace: str) -> bool:
    quota = core.read_namespaced_resource_quota("pods", namespace)
    return bool(quota.status and quota.status.hard)


@pytest.fixture
def kube_quota_namespace(kube_namespace: str, kube_cluster: KubeCluster) -> str:
    """``kube_namespace`` with a ResourceQuota of ``QUOTA_PODS`` pods and a LimitRange capping a
    container at ``LIMIT_CPU`` CPU. Returned once the resourcequota controller has written the
    quota's status (admission refuses every pod of a namespace whose quota has no status yet)."""
    with kube_cluster.api_client(kube_cluster.admin_user) as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespaced_resource_quota(
            kube_namespace,
            {"metadata": {"name": "pods"}, "spec": {"hard": {"pods": str(QUOTA_PODS)}}},
        )
        core.create_namespaced_limit_range(
            kube_namespace,
            {
                "metadata": {"name": "cpu"},
                "spec": {"limits": [{"type": "Container", "max": {"cpu": LIMIT_CPU}}]},
            },
        )
        deadline = time.monotonic() + 20
        while not _quota_ready(core, kube_namespace):
            if time.monotonic() > deadline:
                pytest.fail("the resourcequota controller wrote no quota status within 20 s")
            time.sleep(0.1)
    return kube_namespace
