"""``KubernetesProvider``: the account's gated client and the nouns composed on it, plus ``check``.

Regions are namespaces. Each noun is the module of its own: ``server_groups`` (ReplicaSets, with
enable/disable by the traffic label and the wait by watch), ``load_balancers`` (Services) and
``security_groups`` (NetworkPolicies). There is no ``traffic`` noun: traffic follows replica
counts (``TrafficSplit.CAPACITY_ONLY``), so weights are not supported.
"""

from __future__ import annotations

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_kubernetes import permissions
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.errors import map_error
from cloudrig_kubernetes.load_balancers import KubeLoadBalancers
from cloudrig_kubernetes.security_groups import KubeSecurityGroups
from cloudrig_kubernetes.server_groups import KubeServerGroups
from cloudrig_kubernetes.settings import KubernetesAccountSettings


class KubernetesProvider(Provider[KubernetesAccountSettings]):
    """One Kubernetes cluster: a ReplicaSet per version behind Services, NetworkPolicies."""

    server_groups: KubeServerGroups
    load_balancers: KubeLoadBalancers
    security_groups: KubeSecurityGroups

    def __init__(self, context: ProviderContext[KubernetesAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.kube = KubeClient(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # no kubeconfig, an unknown context, not in a cluster…
            raise map_error(exc, "connecting", account=context.account) from exc
        self.server_groups = KubeServerGroups(self.kube)
        self.load_balancers = KubeLoadBalancers(self.kube)
        self.security_groups = KubeSecurityGroups(self.kube)

    def check(self) -> CheckResult:
        """``GET /version`` (reachability, TLS), then a SelfSubjectAccessReview for every verb
        and resource the provider uses, per namespace (``permissions``): PermissionDenied names
        each one missing."""
        version = self.kube.call(self.kube.version.get_code)
        identity = f"{self.kube.server} (Kubernetes {version.get('gitVersion', '?')})"
        return permissions.check(self.kube, identity)
