"""``EcsProvider``: the contract's operations, composed from one module per noun.

Holds no logic of its own: it builds the account's gated client factory (``cloudrig_aws``'s
public API) and hands each operation to the module of its noun.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    TrafficWeights,
)
from cloudrig.provider import CreateServerGroup, Provider, ProviderContext, ServerGroupMetadata
from cloudrig_aws import ClientFactory, map_error
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.create import Creator
from cloudrig_ecs.load_balancers import LoadBalancers
from cloudrig_ecs.network import Network
from cloudrig_ecs.security_groups import SecurityGroups
from cloudrig_ecs.services import Services
from cloudrig_ecs.settings import EcsAccountSettings
from cloudrig_ecs.switching import Switching
from cloudrig_ecs.traffic import ListenerWeights


class EcsProvider(Provider[EcsAccountSettings]):
    """Amazon ECS for one account and ECS cluster: a service per version behind ALB weights."""

    def __init__(self, context: ProviderContext[EcsAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        cluster = context.settings.cluster
        self.network = Network(self.clients)
        self.load_balancers = LoadBalancers(self.clients, self.network)
        self.weights = ListenerWeights(self.load_balancers)
        self.autoscaling = Autoscaling(self.clients, cluster)
        self.security_groups = SecurityGroups(self.clients)
        self.services = Services(
            self.clients, cluster, self.load_balancers, self.weights, self.autoscaling
        )
        self.creator = Creator(
            self.services, self.load_balancers, self.weights, self.network, self.security_groups
        )
        self.switching = Switching(self.services, self.weights, self.autoscaling)

    def _regions(self, region: str | None) -> tuple[str, ...]:
        return (region,) if region else self.settings.regions

    # -- server groups ---------------------------------------------------------------------------
    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        return self.creator.create(request)

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        return self.services.get(region, name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return self.services.of_app(app, self._regions(region))

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        self.services.resize(region, name, capacity)

    def enable_server_group(self, region: str, name: str) -> None:
        self.switching.set_enabled(region, name, True)

    def disable_server_group(self, region: str, name: str) -> None:
        self.switching.set_enabled(region, name, False)

    def destroy_server_group(self, region: str, name: str) -> None:
        self.services.destroy(region, name)

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.services.instances(region, self.services.require(region, name))

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self.services.read_metadata(region, name)

    # -- traffic ---------------------------------------------------------------------------------
    def set_traffic_weights(self, region: str, weights: TrafficWeights) -> None:
        self.switching.set_weights(region, weights)

    def get_traffic_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        return self.switching.get_weights(region, server_groups)

    # -- load balancers --------------------------------------------------------------------------
    def upsert_load_balancer(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer:
        return self.load_balancers.upsert(spec, settings)

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        return self.load_balancers.get(region, name)

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        return self.load_balancers.list(self._regions(region))

    def delete_load_balancer(self, region: str, name: str) -> None:
        self.load_balancers.delete(region, name)

    # -- security groups -------------------------------------------------------------------------
    def upsert_security_group(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        return self.security_groups.upsert(spec, settings)

    def get_security_group(self, region: str, name: str) -> SecurityGroup:
        return self.security_groups.get(region, name)

    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]:
        return self.security_groups.list(self._regions(region))

    def delete_security_group(self, region: str, name: str) -> None:
        self.security_groups.delete(region, name)

    # -- check -----------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """One cheap read: ecs:DescribeClusters of the configured cluster."""
        region, cluster = self.settings.regions[0], self.settings.cluster
        found = self.clients.client("ecs", region).call(
            "describe_clusters", resource=cluster, clusters=[cluster]
        )
        active = [c for c in found.get("clusters", []) if c.get("status") == "ACTIVE"]
        state = "ACTIVE" if active else "missing"
        return CheckResult(
            identity=f"account {self.clients.account_id}",
            detail=f"cluster {cluster} ({state}); regions: {', '.join(self.settings.regions)}",
        )
