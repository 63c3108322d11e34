"""Security groups: EC2 security groups with CIDR and group-to-group ingress rules.

Upsert looks the group up and creates it in the settings' VPC, else the default VPC (names are
unique per VPC only, so every lookup by name is scoped to that VPC), then brings
its ingress to the spec: missing permissions are authorized, extra ones revoked — so running it
twice changes nothing. Source groups are named like any security group (cloudrig name or ``sg-``
id).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from cloudrig import (
    Conflict,
    IngressRule,
    InvalidSpec,
    NotFound,
    Protocol,
    SecurityGroup,
    SecurityGroupSpec,
)
from cloudrig.provider import SecurityGroups
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.naming import security_group_name
from cloudrig_aws.settings import AwsSecurityGroupSettings

# A permission as a hashable key: (protocol, from, to, "cidr"|"group", value).
Perm = tuple[str, int, int, str, str]


def _aws_protocol(protocol: Protocol) -> str:
    return {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1"}[protocol.value]


class AwsSecurityGroups(SecurityGroups[AwsSecurityGroupSettings]):
    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._account = factory.account
        self._regions = factory.settings.regions

    def _ec2(self, region: str) -> Any:
        return self._factory.client("ec2", region)

    def _find(self, region: str, name: str, vpc_id: str | None = None) -> dict[str, Any] | None:
        """The group by name, in ``vpc_id`` when given (names are unique per VPC only)."""
        aws_name = security_group_name(name)
        filters = [{"Name": "group-name", "Values": [aws_name]}]
        if vpc_id:
            filters.append({"Name": "vpc-id", "Values": [vpc_id]})
        found = self._ec2(region).call(
            "describe_security_groups", resource=aws_name, Filters=filters
        )["SecurityGroups"]
        if len(found) > 1:  # no VPC given and the name is in several: the one cloudrig made
            ours = [g for g in found if _tagged(g) in (name, aws_name)]
            if len(ours) != 1:
                vpcs = ", ".join(sorted(g.get("VpcId", "?") for g in found))
                raise Conflict(
                    f"security group {aws_name!r} exists in several VPCs ({vpcs}) of {region}; "
                    "cloudrig will not pick one",
                    provider="aws",
                    account=self._account,
                    resource=aws_name,
                )
            found = ours
        return found[0] if found else None

    def _vpc(self, region: str, settings: AwsSecurityGroupSettings) -> str:
        """The settings' VPC, else the region's default one (an error when it has none)."""
        if settings.vpc_id:
            return settings.vpc_id
        ec2 = self._ec2(region)
        vpcs = ec2.read(
            ("default-vpc",),
            lambda: ec2.call("describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}])[
                "Vpcs"
            ],
        )
        if not vpcs:
            raise InvalidSpec(
                f"{region} has no default VPC: set the security group's settings.vpc_id",
                provider="aws",
                account=self._account,
            )
        return str(vpcs[0]["VpcId"])

    def upsert(self, spec: SecurityGroupSpec, settings: AwsSecurityGroupSettings) -> SecurityGroup:
        region, name = spec.region, security_group_name(spec.name)
        ec2 = self._ec2(region)
        vpc_id = self._vpc(region, settings)
        group = self._find(region, name, vpc_id)
        if group is None:
            kwargs: dict[str, Any] = {
                "GroupName": name,
                "Description": spec.description or name,
                "TagSpecifications": [
                    {
                        "ResourceType": "security-group",
                        "Tags": [{"Key": "cloudrig:name", "Value": spec.name}],
                    }
                ],
            }
            kwargs["VpcId"] = vpc_id
            with contextlib.suppress(Conflict):  # created meanwhile: rules brought to spec below
                ec2.call("create_security_group", resource=name, **kwargs)
            group = self._find(region, name, vpc_id)
            if group is None:
                raise NotFound(
                    f"security group {name!r} vanished after its create",
                    provider="aws",
                    account=self._account,
                    resource=name,
                )
        wanted = self._wanted(region, spec.ingress, vpc_id)
        have = _perms(group.get("IpPermissions", []))
        if wanted - have:
            ec2.call(
                "authorize_security_group_ingress",
                resource=name,
                GroupId=group["GroupId"],
                IpPermissions=_to_aws(wanted - have),
            )
        if have - wanted:
            ec2.call(
                "revoke_security_group_ingress",
                resource=name,
                GroupId=group["GroupId"],
                IpPermissions=_to_aws(have - wanted),
            )
        return SecurityGroup(
            name=name,
            id=group["GroupId"],
            account=self._account,
            region=region,
            description=group.get("Description", ""),
            ingress=spec.ingress,
        )

    def _wanted(self, region: str, rules: Iterable[IngressRule], vpc_id: str) -> set[Perm]:
        out: set[Perm] = set()
        for rule in rules:
            proto = _aws_protocol(rule.protocol)
            lo, hi = (-1, -1) if proto == "-1" else (rule.from_port, rule.to_port)
            out |= {(proto, lo, hi, "cidr", c) for c in rule.cidrs}
            for source in rule.source_groups:
                out.add((proto, lo, hi, "group", self._group_id(region, source, vpc_id)))
        return out

    def _group_id(self, region: str, name: str, vpc_id: str) -> str:
        if name.startswith("sg-"):
            return name
        found = self._find(region, name, vpc_id)
        if found is None:
            raise InvalidSpec(
                f"source security group {name!r} does not exist in {region}",
                provider="aws",
                account=self._account,
                resource=name,
            )
        return str(found["GroupId"])

    def get(self, region: str, name: str) -> SecurityGroup:
        group = self._find(region, name)
        if group is None:
            raise NotFound(
                f"security group {security_group_name(name)!r} does not exist in {region}",
                provider="aws",
                account=self._account,
                resource=name,
            )
        return self._to_model(region, group)

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        return [
            self._to_model(where, g)
            for where in ((region,) if region else self._regions)
            for g in self._ec2(where).pages("describe_security_groups", "SecurityGroups")
        ]

    def delete(self, region: str, name: str) -> None:
        group = self._find(region, name)
        if group is None:
            return
        with contextlib.suppress(NotFound):
            self._ec2(region).call("delete_security_group", GroupId=group["GroupId"], resource=name)

    def _to_model(self, region: str, group: dict[str, Any]) -> SecurityGroup:
        rules: list[IngressRule] = []
        for perm in group.get("IpPermissions", []):
            proto = perm.get("IpProtocol", "-1")
            protocol = Protocol.ALL if proto == "-1" else Protocol(proto)
            lo = max(int(perm.get("FromPort", 0)), 0)
            hi = max(int(perm.get("ToPort", 65535)), lo) if proto != "-1" else 65535
            cidrs = tuple(r["CidrIp"] for r in perm.get("IpRanges", []))
            sources = tuple(p["GroupId"] for p in perm.get("UserIdGroupPairs", []))
            if cidrs or sources:
                rules.append(
                    IngressRule(
                        protocol=protocol,
                        from_port=lo,
                        to_port=hi,
                        cidrs=cidrs,
                        source_groups=sources,
                    )
                )
        return SecurityGroup(
            name=group["GroupName"],
            id=group["GroupId"],
            account=self._account,
            region=region,
            description=group.get("Description", ""),
            ingress=tuple(rules),
        )


def _tagged(group: dict[str, Any]) -> str | None:
    """The original name cloudrig wrote on the group (tag ``cloudrig:name``)."""
    return next((t["Value"] for t in group.get("Tags", []) if t["Key"] == "cloudrig:name"), None)


def _perms(permissions: Iterable[dict[str, Any]]) -> set[Perm]:
    out: set[Perm] = set()
    for p in permissions:
        proto = str(p.get("IpProtocol", "-1"))
        lo, hi = int(p.get("FromPort", -1)), int(p.get("ToPort", -1))
        if proto == "-1":
            lo, hi = -1, -1
        out |= {(proto, lo, hi, "cidr", r["CidrIp"]) for r in p.get("IpRanges", [])}
        out |= {(proto, lo, hi, "group", g["GroupId"]) for g in p.get("UserIdGroupPairs", [])}
    return out


def _to_aws(perms: Iterable[Perm]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for proto, lo, hi, kind, value in sorted(perms):
        item: dict[str, Any] = {"IpProtocol": proto}
        if proto != "-1":
            item |= {"FromPort": lo, "ToPort": hi}
        if kind == "cidr":
            item["IpRanges"] = [{"CidrIp": value}]
        else:
            item["UserIdGroupPairs"] = [{"GroupId": value}]
        out.append(item)
    return out
