"""``KubernetesProvider``: the contract's operations, composed from one module per noun.

This class holds no logic of its own: it builds the account's gated client and hands each
operation to the module of its noun. Regions are namespaces.
"""

from __future__ import annotations

from pydantic import BaseModel

from cloudrig import (
    Capacity,
    CheckResult,
    Instance,
    LoadBalancer,
    LoadBalancerSpec,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
)
from cloudrig.provider import CreateServerGroup, Provider, ProviderContext, ServerGroupMetadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.errors import map_error
from cloudrig_kubernetes.load_balancers import LoadBalancers
from cloudrig_kubernetes.security_groups import SecurityGroups
from cloudrig_kubernetes.server_groups import ServerGroups
from cloudrig_kubernetes.settings import KubernetesAccountSettings
from cloudrig_kubernetes.traffic import Traffic
from cloudrig_kubernetes.waiting import Waiter


class KubernetesProvider(Provider[KubernetesAccountSettings]):
    """One Kubernetes cluster: a ReplicaSet per version behind Services, NetworkPolicies."""

    def __init__(self, context: ProviderContext[KubernetesAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.kube = KubeClient(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # no kubeconfig, an unknown context, not in a cluster…
            raise map_error(exc, "connecting", account=context.account) from exc
        self.server_groups = ServerGroups(self.kube)
        self.traffic = Traffic(self.kube, self.server_groups)
        self.load_balancers = LoadBalancers(self.kube)
        self.security_groups = SecurityGroups(self.kube)
        self.waiter = Waiter(self.kube, self.server_groups)

    def _namespaces(self, region: str | None) -> tuple[str, ...]:
        return (region,) if region else self.settings.namespaces

    # -- server groups ---------------------------------------------------------------------------
    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        return self.server_groups.create(request)

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        return self.server_groups.get(region, name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return self.server_groups.of_app(app, self._namespaces(region))

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        self.server_groups.resize(region, name, capacity)

    def enable_server_group(self, region: str, name: str) -> None:
        self.traffic.set_enabled(region, name, True)

    def disable_server_group(self, region: str, name: str) -> None:
        self.traffic.set_enabled(region, name, False)

    def destroy_server_group(self, region: str, name: str) -> None:
        self.server_groups.destroy(region, name)

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.server_groups.health(region, name)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self.server_groups.read_metadata(region, name)

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        return self.waiter.wait_for_health(region, name, healthy=healthy, timeout=timeout)

    # -- load balancers --------------------------------------------------------------------------
    def upsert_load_balancer(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer:
        return self.load_balancers.upsert(spec, settings)

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        return self.load_balancers.get(region, name)

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        return self.load_balancers.list(self._namespaces(region))

    def delete_load_balancer(self, region: str, name: str) -> None:
        self.load_balancers.delete(region, name)

    # -- security groups -------------------------------------------------------------------------
    def upsert_security_group(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        return self.security_groups.upsert(spec, settings)

    def get_security_group(self, region: str, name: str) -> SecurityGroup:
        return self.security_groups.get(region, name)

    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]:
        return self.security_groups.list(self._namespaces(region))

    def delete_security_group(self, region: str, name: str) -> None:
        self.security_groups.delete(region, name)

    # -- check -----------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """One cheap read: ``GET /version`` (reachability, TLS and the credentials)."""
        version = self.kube.call(self.kube.version.get_code)
        return CheckResult(
            identity=f"{self.kube.server} (Kubernetes {version.get('gitVersion', '?')})",
            detail=f"namespaces: {', '.join(self.settings.namespaces)}",
        )
