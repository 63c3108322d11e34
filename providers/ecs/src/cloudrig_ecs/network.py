"""The default VPC's subnets and default security group, looked up once per region.

They are what a spec gets when it names none (services need subnets for ``awsvpc``, an ALB two
zones). The default security group is passed explicitly rather than left out: AWS would use it
anyway, and moto answers 500 to an ``awsvpcConfiguration`` without ``securityGroups``.
"""

from __future__ import annotations

import threading
from typing import Any

from cloudrig import InvalidSpec
from cloudrig_aws import ClientFactory


class Network:
    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._vpcs: dict[str, str] = {}
        self._subnets: dict[str, list[str]] = {}
        self._default_groups: dict[str, str] = {}

    def _ec2(self, region: str) -> Any:
        return self._factory.client("ec2", region)

    def default_vpc(self, region: str) -> str:
        with self._lock:
            if region not in self._vpcs:
                vpcs = self._ec2(region).call(
                    "describe_vpcs", Filters=[{"Name": "is-default", "Values": ["true"]}]
                )["Vpcs"]
                if not vpcs:
                    raise InvalidSpec(f"no default VPC in {region}: name subnets in the settings")
                self._vpcs[region] = str(vpcs[0]["VpcId"])
            return self._vpcs[region]

    def default_subnets(self, region: str) -> list[str]:
        vpc = self.default_vpc(region)
        with self._lock:
            if region not in self._subnets:
                subnets = self._ec2(region).call(
                    "describe_subnets",
                    Filters=[
                        {"Name": "vpc-id", "Values": [vpc]},
                        {"Name": "default-for-az", "Values": ["true"]},
                    ],
                )["Subnets"]
                ordered = sorted(subnets, key=lambda s: s["AvailabilityZone"])
                self._subnets[region] = [s["SubnetId"] for s in ordered[:3]]
            return self._subnets[region]

    def default_security_group(self, region: str, subnets: list[str]) -> str:
        """The default security group of the VPC of ``subnets``."""
        key = f"{region}:{subnets[0]}"
        with self._lock:
            if key not in self._default_groups:
                ec2 = self._ec2(region)
                vpc = ec2.call("describe_subnets", SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
                groups = ec2.call(
                    "describe_security_groups",
                    Filters=[
                        {"Name": "vpc-id", "Values": [vpc]},
                        {"Name": "group-name", "Values": ["default"]},
                    ],
                )["SecurityGroups"]
                self._default_groups[key] = str(groups[0]["GroupId"])
            return self._default_groups[key]
