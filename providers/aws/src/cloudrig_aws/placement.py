"""Where a server group or load balancer goes: explicit subnets, and the VPC they are in.

Every Auto Scaling group and load balancer is created with explicit subnets: without subnets in
the settings the default VPC's subnets are used (in the spec's zones when it names them), and a
region without a default VPC — many production accounts delete it — is one clear ``InvalidSpec``
asking for subnets. Subnet lookups go through the limiter's short read cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cloudrig import InvalidSpec
from cloudrig_aws.clients import ClientFactory


@dataclass(frozen=True)
class Placement:
    subnets: tuple[str, ...]
    vpc_id: str
    zones: tuple[str, ...]


def _describe(factory: ClientFactory, region: str, key: tuple[Any, ...], **kwargs: Any) -> Any:
    ec2 = factory.client("ec2", region)
    return ec2.read(key, lambda: ec2.call("describe_subnets", **kwargs)["Subnets"])


def place(
    factory: ClientFactory,
    region: str,
    subnets: Sequence[str],
    zones: Sequence[str] = (),
    *,
    at_least: int = 1,
    what: str = "server group",
) -> Placement:
    """The subnets to use and their VPC (see the module docstring)."""
    where = {"provider": "aws", "account": factory.account}
    if subnets:
        found = _describe(factory, region, ("subnets", tuple(subnets)), SubnetIds=list(subnets))
        vpcs = {s["VpcId"] for s in found}
        if len(vpcs) != 1:
            raise InvalidSpec(
                f"{what}: subnets {', '.join(subnets)} are in {len(vpcs)} VPCs; give subnets "
                "of one VPC",
                **where,
            )
        return Placement(
            tuple(subnets), vpcs.pop(), tuple(sorted({s["AvailabilityZone"] for s in found}))
        )
    defaults = _describe(
        factory,
        region,
        ("default-subnets",),
        Filters=[{"Name": "default-for-az", "Values": ["true"]}],
    )
    if not defaults:
        raise InvalidSpec(
            f"{what}: no subnets given and {region} has no default VPC; set settings.subnets "
            "to subnet ids of the VPC to use",
            **where,
        )
    by_zone = {s["AvailabilityZone"]: s for s in defaults}
    chosen = [z for z in zones if z in by_zone] if zones else sorted(by_zone)[:3]
    if zones and len(chosen) < len(zones):
        missing = sorted(set(zones) - set(by_zone))
        raise InvalidSpec(
            f"{what}: the default VPC of {region} has no subnet in {', '.join(missing)}; set "
            "settings.subnets",
            **where,
        )
    if len(chosen) < at_least:
        raise InvalidSpec(
            f"{what}: the default VPC of {region} has subnets in {len(chosen)} zone(s), "
            f"{at_least} needed; set settings.subnets",
            **where,
        )
    return Placement(
        tuple(by_zone[z]["SubnetId"] for z in chosen), by_zone[chosen[0]]["VpcId"], tuple(chosen)
    )
