"""``AwsProvider``: the contract's operations, composed from one module per noun.

This class holds no logic of its own: it builds the account's client factory (with the limiter
attached) and hands each operation to the module of its noun.
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
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.errors import map_error
from cloudrig_aws.load_balancers import LoadBalancers
from cloudrig_aws.security_groups import SecurityGroups
from cloudrig_aws.server_groups import ServerGroups
from cloudrig_aws.settings import AwsAccountSettings
from cloudrig_aws.target_groups import TargetGroups
from cloudrig_aws.traffic import Traffic


class AwsProvider(Provider[AwsAccountSettings]):
    """AWS EC2 for one account: Auto Scaling groups behind ALB/NLB target groups."""

    def __init__(self, context: ProviderContext[AwsAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        self.target_groups = TargetGroups(self.clients)
        self.server_groups = ServerGroups(self.clients, self.target_groups)
        self.load_balancers = LoadBalancers(self.clients, self.target_groups)
        self.security_groups = SecurityGroups(self.clients)
        self.traffic = Traffic(self.clients, self.target_groups, self.server_groups)

    def _regions(self, region: str | None) -> tuple[str, ...]:
        return (region,) if region else self.settings.regions

    # -- server groups ---------------------------------------------------------------------------
    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        return self.server_groups.create(request)

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        return self.server_groups.get(region, name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return self.server_groups.of_app(app, self._regions(region))

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        self.server_groups.resize(region, name, capacity)

    def enable_server_group(self, region: str, name: str) -> None:
        self.traffic.end_split_for(region, name)
        self.server_groups.set_enabled(region, name, True)

    def disable_server_group(self, region: str, name: str) -> None:
        self.traffic.end_split_for(region, name)
        self.server_groups.set_enabled(region, name, False)

    def destroy_server_group(self, region: str, name: str) -> None:
        self.server_groups.destroy(region, name)

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.server_groups.health(region, name)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self.server_groups.read_metadata(region, name)

    # -- traffic ---------------------------------------------------------------------------------
    def set_traffic_weights(self, region: str, weights: TrafficWeights) -> None:
        self.traffic.set_weights(region, weights)

    def get_traffic_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        return self.traffic.get_weights(region, server_groups)

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
        """One cheap read: sts:GetCallerIdentity (the account and principal of the credentials)."""
        who = self.clients.caller_identity()
        return CheckResult(
            identity=f"{who.get('Arn', '?')} (account {who.get('Account', '?')})",
            detail=f"regions: {', '.join(self.settings.regions)}",
        )
