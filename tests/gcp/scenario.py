"""Small builders shared by the GCP tests: create requests and load balancers."""

from __future__ import annotations

from typing import Any

from cloudrig import Capacity, HealthCheck, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata

from .conftest import IMAGE, REGION


def create_request(
    app: str,
    *,
    sequence: int = 1,
    stack: str = "prod",
    capacity: Capacity | None = None,
    load_balancers: tuple[str, ...] = (),
    security_groups: tuple[str, ...] = (),
    deployment_id: str = "dep-1",
    zones: tuple[str, ...] = (),
    **settings: Any,
) -> CreateServerGroup[Any]:
    """A create request of ``{app}-{stack}-v{sequence}``; ``settings``: the provider block's
    fields (``zone="us-central1-b"``: a zonal group)."""
    from cloudrig_gcp import GcpServerGroupSettings
    from cloudrig_gcp.naming import NAMING

    moniker = Moniker(app=app, stack=stack, sequence=sequence)
    spec = ServerGroupSpec(
        moniker=moniker,
        account="gcp-test",
        region=REGION,
        artifact=IMAGE,
        capacity=capacity or Capacity.fixed(2),
        load_balancers=load_balancers,
        security_groups=security_groups,
        zones=zones,
    )
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=spec,
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
        settings=GcpServerGroupSettings(**settings),
    )


def upsert_load_balancer(provider: Any, name: str) -> Any:
    from cloudrig_gcp import GcpLoadBalancerSettings

    spec = LoadBalancerSpec(
        name=name, account="gcp-test", region=REGION, health_check=HealthCheck(port=8080)
    )
    return provider.load_balancers.upsert(spec, GcpLoadBalancerSettings())
