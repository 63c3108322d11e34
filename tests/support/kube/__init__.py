"""The Kubernetes test target: a real kube-apiserver 1.20 built once from Debian's source package.

Modules: ``build.sh`` / ``binaries`` (one-time build, cached outside the work tree), ``local``
(etcd + kube-apiserver + kube-controller-manager on loopback), ``kubelet`` (pod status simulator),
``audit`` (requests per user from the audit log), ``rbac`` (the test users' roles), ``cluster``
(what tests get), ``plugin`` (pytest fixtures ``kube_cluster``, ``kubelet``, ``kube_namespace``,
``kube_quota_namespace``, ``kube_limited_user``). See tests/README.md, "Kubernetes".
"""

from .audit import AuditUnavailableError
from .cluster import KubeCluster
from .kubelet import KubeletSimulator
from .local import ADMIN_USER, TEST_USER

__all__ = ["ADMIN_USER", "TEST_USER", "AuditUnavailableError", "KubeCluster", "KubeletSimulator"]
