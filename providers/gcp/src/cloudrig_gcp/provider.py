"""``GcpProvider``: the account's nouns, composed, and its check.

It builds the account's client factory (with the limiter attached at every client's HTTP session)
and the backend-service helper the nouns share; every operation lives in the module of its noun.
"""

from __future__ import annotations

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_gcp.backends import Backends
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.load_balancers import GcpLoadBalancers
from cloudrig_gcp.security_groups import GcpSecurityGroups
from cloudrig_gcp.server_groups import GcpServerGroups
from cloudrig_gcp.settings import GcpAccountSettings
from cloudrig_gcp.traffic import GcpTraffic


class GcpProvider(Provider[GcpAccountSettings]):
    """GCP Compute for one project: regional MIGs behind global backend services."""

    server_groups: GcpServerGroups
    load_balancers: GcpLoadBalancers
    security_groups: GcpSecurityGroups
    traffic: GcpTraffic

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
        self.server_groups = GcpServerGroups(self.clients, self.backends)
        self.load_balancers = GcpLoadBalancers(self.clients, self.backends)
        self.security_groups = GcpSecurityGroups(self.clients)
        self.traffic = GcpTraffic(self.server_groups, self.backends)

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
