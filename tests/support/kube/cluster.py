"""What a test gets from the ``kube_cluster`` fixture: one API server, per-user access, counting.

Two ways to get one: :func:`start_local` (the cached binaries on loopback, audit counting on) or
:func:`use_existing` (``CLOUDRIG_TEST_KUBECONFIG`` points at any cluster; every user name maps to
that kubeconfig, audit counting is unavailable, saying so when asked, and there is no kubelet
simulator: that cluster's own nodes run the pods).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client, config

from .audit import AuditLog, AuditUnavailableError
from .kubeconfig import server_of
from .kubelet import KubeletSimulator
from .local import ADMIN_USER, LIMITED_USER, TEST_USER, LocalKube
from .rbac import bind_test_group


@dataclass
class KubeCluster:
    """A running API server plus the helpers tests need.

    ``admin_user`` is for test support (setup, the kubelet simulator); ``test_user`` is the
    identity the code under test uses, so its requests can be counted apart from everything else.
    """

    api_url: str
    kubeconfigs: dict[str, Path]
    kubelet: KubeletSimulator | None  # None on an existing cluster (its kubelets run pods)
    audit: AuditLog | None
    admin_user: str = ADMIN_USER
    test_user: str = TEST_USER
    limited_user: str = LIMITED_USER  # bound to nothing: tests grant it Roles (rbac.grant_role)
    start_seconds: float = 0.0  # how long the local control plane took to become ready
    local: LocalKube | None = None  # the processes, when started here (for rss_bytes, logs)
    _on_stop: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def kubeconfig(self, user: str = TEST_USER) -> Path:
        """Path of a kubeconfig file authenticating as ``user``."""
        return self.kubeconfigs[user]

    def api_client(
        self, user: str = TEST_USER, configuration: client.Configuration | None = None
    ) -> client.ApiClient:
        """A new ``kubernetes.client.ApiClient`` for ``user``, loaded from its kubeconfig file.

        ``configuration`` lets a caller preset client options (e.g. ``retries = False``) that the
        kubeconfig then completes with the server, CA and token.
        """
        return config.new_client_from_config(
            config_file=str(self.kubeconfig(user)), client_configuration=configuration
        )

    @property
    def audit_available(self) -> bool:
        return self.audit is not None

    def mark(self) -> int:
        """A point in the audit log; pass it as ``since=`` to count only later requests."""
        return self._audit().mark()

    def requests_by(self, user: str = TEST_USER, since: int = 0) -> int:
        """How many requests the API server served for ``user`` since ``mark`` (audit log)."""
        return self._audit().requests_by(user, since)

    def requests_per_user(self, since: int = 0) -> dict[str, int]:
        return self._audit().users(since)

    def _audit(self) -> AuditLog:
        if self.audit is None:
            raise AuditUnavailableError(
                f"request counting needs the local test cluster's audit log; {self.api_url} comes "
                "from CLOUDRIG_TEST_KUBECONFIG, whose audit log the tests cannot read"
            )
        return self.audit

    def stop(self) -> None:
        for callback in reversed(self._on_stop):
            callback()
        self._on_stop.clear()


def start_local(bin_dir: Path) -> KubeCluster:
    """Start etcd + kube-apiserver + kube-controller-manager and the kubelet simulator."""
    etcd = shutil.which("etcd")
    if etcd is None:
        raise FileNotFoundError("etcd is not installed (Debian: apt-get install etcd-server)")
    local = LocalKube(bin_dir=bin_dir, etcd=etcd).start()
    cluster = KubeCluster(
        api_url=local.api_url,
        kubeconfigs=dict(local.kubeconfigs),
        kubelet=None,
        audit=AuditLog(local.audit_log),
        local=local,
    )
    cluster._on_stop.append(local.stop)
    try:
        with _client(local.kubeconfigs[ADMIN_USER]) as admin:
            bind_test_group(admin)
        kubelet = KubeletSimulator(lambda: _client(local.kubeconfigs[ADMIN_USER])).start()
    except BaseException:
        cluster.stop()
        raise
    cluster.kubelet = kubelet
    cluster._on_stop.append(kubelet.stop)
    return cluster


def use_existing(kubeconfig: Path) -> KubeCluster:
    """Use the cluster a kubeconfig points at, as every user; no audit counting, no simulator."""
    users = {ADMIN_USER: kubeconfig, TEST_USER: kubeconfig}
    return KubeCluster(api_url=server_of(kubeconfig), kubeconfigs=users, kubelet=None, audit=None)


def _client(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig))
