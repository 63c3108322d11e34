"""Requests and resources the AWS tests share: a load balancer, create requests."""

from __future__ import annotations

from typing import Any

from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_aws import AwsLoadBalancerSettings, AwsServerGroupSettings

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")
AMI = "ami-12c6146b"


def upsert_load_balancer(provider: Any, name: str) -> Any:
    spec = LoadBalancerSpec(name=name, account=provider.context.account, region=REGION)
    return provider.load_balancers.upsert(spec, AwsLoadBalancerSettings())


def create_request(
    app: str,
    *,
    sequence: int,
    stack: str = "prod",
    capacity: Capacity | None = None,
    load_balancers: tuple[str, ...] = (),
    deployment_id: str | None = "dep-1",
    settings: AwsServerGroupSettings | None = None,
    **spec_fields: Any,
) -> CreateServerGroup[AwsServerGroupSettings]:
    from cloudrig_aws.naming import NAMING

    moniker = Moniker(app=app, stack=stack, sequence=sequence)
    fields: dict[str, Any] = {
        "moniker": moniker,
        "account": "aws-test",
        "region": REGION,
        "zones": ZONES,
        "artifact": AMI,
        "capacity": capacity or Capacity.fixed(2),
        "load_balancers": load_balancers,
    }
    spec = ServerGroupSpec(**(fields | spec_fields))
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=spec,
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=deployment_id),
        settings=settings or AwsServerGroupSettings(),
    )
