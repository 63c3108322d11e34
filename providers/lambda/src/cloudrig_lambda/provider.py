"""``LambdaProvider``: the contract's operations, composed from one module per noun.

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
from cloudrig_lambda.functions import Functions
from cloudrig_lambda.provisioned import ProvisionedConcurrency
from cloudrig_lambda.security_groups import SecurityGroups
from cloudrig_lambda.server_groups import ServerGroups
from cloudrig_lambda.settings import LambdaAccountSettings
from cloudrig_lambda.target_groups import TargetGroups
from cloudrig_lambda.traffic import Traffic


class LambdaProvider(Provider[LambdaAccountSettings]):
    """AWS Lambda for one account: published versions behind each function's alias."""

    def __init__(self, context: ProviderContext[LambdaAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        self.functions = Functions(self.clients, context.clock)
        self.target_groups = TargetGroups(self.clients)
        self.security_groups = SecurityGroups(self.clients)
        self.traffic = Traffic(self.clients, context.settings.alias)
        self.traffic.functions = self.functions
        self.traffic.target_groups = self.target_groups
        self.server_groups = ServerGroups(
            self.functions,
            self.traffic,
            self.security_groups,
            ProvisionedConcurrency(self.clients),
            account=context.account,
            logger=context.logger,
        )

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
        self.traffic.enable(region, name)

    def disable_server_group(self, region: str, name: str) -> None:
        self.traffic.disable(region, name)

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
        return self.target_groups.upsert(spec, settings)

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        return self.target_groups.get(region, name)

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        return self.target_groups.list(self._regions(region))

    def delete_load_balancer(self, region: str, name: str) -> None:
        self.target_groups.delete(region, name)

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
        """One cheap read: lambda:ListFunctions with one item (reachability and permission).
        (GetAccountSettings would say more, but moto does not implement it.)"""
        region = self.settings.regions[0]
        self.clients.client("lambda", region).call("list_functions", MaxItems=1)
        return CheckResult(
            identity=f"account {self.clients.account_id}",
            detail=f"regions: {', '.join(self.settings.regions)}; alias {self.settings.alias}",
        )
