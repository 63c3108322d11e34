"""``ExampleProvider``: the contract's operations, composed from one module per noun.

This class holds no logic of its own: it builds the account's HTTP client and hands each operation
to the module of its noun (``server_groups``, ``load_balancers`` — which also owns traffic weights —
and ``security_groups``). A new noun is a new module and a few lines here.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

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
from cloudrig_example._client import ExampleClient, classify
from cloudrig_example.load_balancers import LoadBalancers
from cloudrig_example.security_groups import SecurityGroups
from cloudrig_example.server_groups import ServerGroups
from cloudrig_example.settings import ExampleAccountSettings


class ExampleProvider(Provider[ExampleAccountSettings]):
    """The example cloud, for one account."""

    def __init__(self, context: ProviderContext[ExampleAccountSettings]) -> None:
        super().__init__(context)
        # The cloud's own identity keys the budget: every account on this endpoint shares it.
        gate = context.limiter.gate(
            cloud="example", identity=str(context.settings.endpoint), classify=classify
        )
        self.client = ExampleClient(
            context.settings, account=context.account, logger=context.logger, gate=gate
        )
        self.server_groups = ServerGroups(self.client, context.account)
        self.load_balancers = LoadBalancers(self.client, context.account, self.server_groups)
        self.security_groups = SecurityGroups(self.client, context.account)

    def close(self) -> None:
        self.client.close()

    def _regions(self, region: str | None) -> tuple[str, ...]:
        return (region,) if region else self.settings.regions

    # -- server groups ---------------------------------------------------------------------------
    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        return self.server_groups.create(request)

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        return self.server_groups.get(region, name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return self.server_groups.list(app, self._regions(region))

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        self.server_groups.resize(region, name, capacity)

    def enable_server_group(self, region: str, name: str) -> None:
        self.server_groups.set_enabled(region, name, True)

    def disable_server_group(self, region: str, name: str) -> None:
        self.server_groups.set_enabled(region, name, False)

    def destroy_server_group(self, region: str, name: str) -> None:
        self.server_groups.destroy(region, name)

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.server_groups.health(region, name)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return self.server_groups.read_metadata(region, name)

    # -- traffic ---------------------------------------------------------------------------------
    def set_traffic_weights(self, region: str, weights: TrafficWeights) -> None:
        self.load_balancers.set_weights(region, weights)

    def get_traffic_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        return self.load_balancers.get_weights(region, server_groups)

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
        """One cheap read: who the token belongs to, and what it may do."""
        answer = self.client.get("/whoami")
        host = urlsplit(str(self.settings.endpoint)).netloc
        return CheckResult(
            identity=f"{answer.get('principal', '?')}@{host}",
            detail=f"token scope: {answer.get('scope', 'unknown')}",
        )
