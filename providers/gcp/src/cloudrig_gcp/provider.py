"""``GcpProvider``: the contract's operations, composed from one module per noun.

This class holds no logic of its own: it builds the account's client factory (with the limiter
attached at every client's HTTP session) and hands each operation to the module of its noun.
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
from cloudrig_gcp.backends import Backends
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.load_balancers import LoadBalancers
from cloudrig_gcp.security_groups import SecurityGroups
from cloudrig_gcp.server_groups import ServerGroups
from cloudrig_gcp.settings import GcpAccountSettings
from cloudrig_gcp.traffic import Traffic


class GcpProvider(Provider[GcpAccountSettings]):
    """GCP Compute for one project: regional MIGs behind global backend services."""

    def __init__(self, context: ProviderContext[GcpAccountSettings]) -> None:
        super().__init__(context)
        self.clients = ComputeClients(
            context.settings,
            context.limiter,
            account=context.account,
            clock=context.clock,
            logger=context.logger,
        )
        self.backends = Backends(self.clients)
        self.server_groups = ServerGroups(self.clients, self.backends)
        self.load_balancers = LoadBalancers(self.clients, self.backends)
        self.security_groups = SecurityGroups(self.clients)
        self.traffic = Traffic(self.server_groups, self.backends)

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
        return self.security_groups.of_regions(self._regions(region))

    def delete_security_group(self, region: str, name: str) -> None:
        self.security_groups.delete(region, name)

    # -- check -----------------------------------------------------------------------------------
    def check(self) -> CheckResult:
        """One cheap read: one page of one item of the first region's managed instance groups
        (it needs the project, the Compute API enabled and ``compute.instanceGroupManagers.list``)."""
        from google.cloud import compute_v1

        region = self.settings.regions[0]
        request = compute_v1.ListRegionInstanceGroupManagersRequest(
            project=self.settings.project, region=region, max_results=1
        )
        pager = self.clients.read(
            compute_v1.RegionInstanceGroupManagersClient, "list", request=request
        )
        next(iter(pager.pages), None)  # the first page only: one request
        return CheckResult(
            identity=f"project {self.settings.project}",
            detail=f"regions: {', '.join(self.settings.regions)}",
        )
