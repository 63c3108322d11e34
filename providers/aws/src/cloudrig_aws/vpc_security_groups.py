"""EC2 security groups for resources that join a VPC: ECS tasks (awsvpc), Lambda functions.

Public API of ``cloudrig_aws`` so AWS-based providers share one implementation. Upsert creates the
group when missing (in the settings' VPC, else the region's default VPC) and brings its ingress to
the spec: missing permissions authorized, extra ones revoked, so a second upsert changes nothing.
Groups are found by their original name, kept in the tag ``cloudrig:name``.
"""

from __future__ import annotations

import contextlib
from typing import Any, TypeVar

from cloudrig import (
    Conflict,
    IngressRule,
    InvalidSpec,
    NotFound,
    Protocol,
    SecurityGroup,
    SecurityGroupSpec,
)
from cloudrig.provider import NamingPolicy, SecurityGroups
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.settings import VpcSettings

VpcSettingsT = TypeVar("VpcSettingsT", bound=VpcSettings)
Perm = tuple[str, int, int, str]  # (protocol, from, to, cidr)
_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1"}


def _perms(rules: tuple[IngressRule, ...], service: str) -> set[Perm]:
    out: set[Perm] = set()
    for rule in rules:
        if rule.source_groups:
            raise InvalidSpec(f"{service} security groups take CIDR rules only")
        for cidr in rule.cidrs:
            out.add((_PROTOCOLS[rule.protocol.value], rule.from_port, rule.to_port, cidr))
    return out


def _existing(group: dict[str, Any]) -> set[Perm]:
    return {
        (p["IpProtocol"], p.get("FromPort", 0), p.get("ToPort", 65535), r["CidrIp"])
        for p in group.get("IpPermissions", [])
        for r in p.get("IpRanges", [])
    }


def _ip_permissions(perms: set[Perm]) -> list[dict[str, Any]]:
    return [
        {"IpProtocol": p, "FromPort": f, "ToPort": t, "IpRanges": [{"CidrIp": c}]}
        for p, f, t, c in sorted(perms)
    ]


def _rules(group: dict[str, Any]) -> tuple[IngressRule, ...]:
    back = {v: k for k, v in _PROTOCOLS.items()}
    return tuple(
        IngressRule(protocol=Protocol(back.get(p, "all")), from_port=f, to_port=t, cidrs=(c,))
        for p, f, t, c in sorted(_existing(group))
    )


class VpcSecurityGroups(SecurityGroups[VpcSettingsT]):
    """EC2 security groups, by their original names (tag ``cloudrig:name``), CIDR rules only: the
    ``security_groups`` noun of a provider whose resources join a VPC.

    ``naming`` maps names to EC2 group names, ``regions`` are the account's (listed when no region
    is given), ``service`` names the provider in errors. The type parameter is the provider's
    security group settings block, which must have ``vpc_id``.
    """

    def __init__(
        self,
        factory: ClientFactory,
        *,
        naming: NamingPolicy,
        regions: tuple[str, ...],
        service: str,
    ) -> None:
        self._factory = factory
        self._account = factory.account
        self._naming = naming
        self._regions = regions
        self._service = service

    def _ec2(self, region: str) -> Any:
        return self._factory.client("ec2", region)

    def _find(self, region: str, name: str) -> dict[str, Any] | None:
        found = self._ec2(region).call(
            "describe_security_groups",
            resource=name,
            Filters=[{"Name": "group-name", "Values": [self._naming.resource_name(name)]}],
        )["SecurityGroups"]
        return found[0] if found else None

    def require(self, region: str, name: str) -> dict[str, Any]:
        group = self._find(region, name)
        if group is None:
            raise NotFound(f"security group {name} not found", resource=name)
        return group

    def _model(self, region: str, name: str, group: dict[str, Any]) -> SecurityGroup:
        return SecurityGroup(
            name=name,
            id=group["GroupId"],
            account=self._account,
            region=region,
            description=group.get("Description", ""),
            ingress=_rules(group),
        )

    def upsert(self, spec: SecurityGroupSpec, settings: VpcSettingsT) -> SecurityGroup:
        vpc_id = settings.vpc_id
        ec2, region = self._ec2(spec.region), spec.region
        group = self._find(region, spec.name)
        if group is None:
            vpc = vpc_id or self._default_vpc(region)
            with contextlib.suppress(Conflict):  # done by an earlier attempt
                ec2.call(
                    "create_security_group",
                    resource=spec.name,
                    GroupName=self._naming.resource_name(spec.name),
                    Description=spec.description or "cloudrig",
                    VpcId=vpc,
                    TagSpecifications=[
                        {
                            "ResourceType": "security-group",
                            "Tags": [{"Key": "cloudrig:name", "Value": spec.name}],
                        }
                    ],
                )
            group = self.require(region, spec.name)
        wanted, have = _perms(spec.ingress, self._service), _existing(group)
        if wanted - have:
            ec2.call(
                "authorize_security_group_ingress",
                resource=spec.name,
                GroupId=group["GroupId"],
                IpPermissions=_ip_permissions(wanted - have),
            )
        if have - wanted:
            ec2.call(
                "revoke_security_group_ingress",
                resource=spec.name,
                GroupId=group["GroupId"],
                IpPermissions=_ip_permissions(have - wanted),
            )
        return self._model(region, spec.name, self.require(region, spec.name))

    def _default_vpc(self, region: str) -> str:
        vpcs = self._ec2(region).call(
            "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}]
        )["Vpcs"]
        if not vpcs:
            raise InvalidSpec(f"no default VPC in {region}: set settings.vpc_id")
        return str(vpcs[0]["VpcId"])

    def get(self, region: str, name: str) -> SecurityGroup:
        return self._model(region, name, self.require(region, name))

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        found = []
        for where in (region,) if region else self._regions:
            groups = self._ec2(where).pages(
                "describe_security_groups",
                "SecurityGroups",
                Filters=[{"Name": "tag-key", "Values": ["cloudrig:name"]}],
            )
            for group in groups:
                tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
                found.append(self._model(where, tags["cloudrig:name"], group))
        return found

    def delete(self, region: str, name: str) -> None:
        group = self._find(region, name)
        if group is None:
            return
        with contextlib.suppress(NotFound):
            self._ec2(region).call("delete_security_group", resource=name, GroupId=group["GroupId"])
