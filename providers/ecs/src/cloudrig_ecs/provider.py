"""``EcsProvider``: the nouns of the contract, composed for one account and ECS cluster.

Holds no logic of its own but ``check``: it builds the account's gated client factory
(``cloudrig_aws``'s public API) and, on it, one object per noun with the collaborators they
share (the default network, the listeners' weights, Application Auto Scaling).
"""

from __future__ import annotations

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_aws import ClientFactory, VpcSecurityGroups, map_error
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.create import ServiceCreation
from cloudrig_ecs.load_balancers import EcsLoadBalancers
from cloudrig_ecs.naming import NAMING
from cloudrig_ecs.network import Network
from cloudrig_ecs.services import EcsServices
from cloudrig_ecs.settings import EcsAccountSettings, EcsSecurityGroupSettings
from cloudrig_ecs.switching import EcsTraffic
from cloudrig_ecs.traffic import ListenerWeights


class EcsProvider(Provider[EcsAccountSettings]):
    """Amazon ECS for one account and ECS cluster: a service per version behind ALB weights."""

    server_groups: EcsServices
    load_balancers: EcsLoadBalancers
    security_groups: VpcSecurityGroups[EcsSecurityGroupSettings]
    traffic: EcsTraffic

    def __init__(self, context: ProviderContext[EcsAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        cluster, regions = context.settings.cluster, context.settings.regions
        network = Network(self.clients)
        self.load_balancers = EcsLoadBalancers(self.clients, network, regions)
        self.security_groups = VpcSecurityGroups(
            self.clients, naming=NAMING, regions=regions, service="ECS"
        )
        weights = ListenerWeights(self.load_balancers)
        autoscaling = Autoscaling(self.clients, cluster)
        creation = ServiceCreation(
            self.clients, self.load_balancers, weights, network, self.security_groups
        )
        self.server_groups = EcsServices(
            self.clients,
            cluster,
            regions,
            self.load_balancers,
            weights,
            autoscaling,
            creation,
            context.clock,
            context.settings.health_poll_interval,
        )
        self.traffic = EcsTraffic(self.server_groups, weights, autoscaling)

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
