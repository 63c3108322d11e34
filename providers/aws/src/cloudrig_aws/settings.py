"""The AWS provider's settings models: an account's, and the provider blocks of specs.

This module imports pydantic and cloudrig only, never boto3: the descriptor names these models, so
``cloudrig providers``, config validation and ``cloudrig schema`` load them without the SDK.
``cloudrig-ecs`` and ``cloudrig-lambda`` subclass ``AwsAccountSettings`` for their own accounts.
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from cloudrig.provider import AccountSettings, ProviderSettings, Secret

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/.+$")


class AwsAccountSettings(AccountSettings):
    """One AWS account, as written in ``cloudrig.yaml``::

    accounts:
      aws-prod:
        provider: aws
        regions: [us-east-1, eu-west-1]
        profile: prod                      # or access_key_id/secret_access_key as secrets
        role_arn: arn:aws:iam::123456789012:role/cloudrig
        external_id: env:CLOUDRIG_EXTERNAL_ID

    Credentials: a named ``profile``, or static keys given as secret references (``env:NAME`` /
    ``file:PATH``), or neither (boto3's default chain: environment, instance role, SSO…). With
    ``role_arn`` those credentials assume the role (with ``external_id`` when the role demands it).
    """

    profile: str | None = Field(default=None, description="Named profile of the AWS config files")
    access_key_id: Secret | None = Field(default=None, description="Static key id (a secret ref)")
    secret_access_key: Secret | None = Field(default=None, description="Static secret (a ref)")
    session_token: Secret | None = Field(default=None, description="For temporary static keys")
    role_arn: str | None = Field(default=None, description="A role to assume with the credentials")
    external_id: Secret | None = Field(
        default=None, description="External id the role's trust policy requires (a secret ref)"
    )
    role_session_name: str = Field(default="cloudrig", pattern=r"^[\w+=,.@-]{2,64}$")
    account_id: str | None = Field(
        default=None,
        pattern=r"^\d{12}$",
        description="The AWS account id; found with sts:GetCallerIdentity (once) when not given",
    )
    endpoint_url: str | None = Field(
        default=None, description="One endpoint for every service (moto, LocalStack, a proxy)"
    )
    connect_timeout: float = Field(default=5.0, gt=0, le=60)
    read_timeout: float = Field(default=30.0, gt=0, le=300)

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError("must be an IAM role ARN: arn:aws:iam::<12 digits>:role/<name>")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("access_key_id and secret_access_key go together")
        if self.profile is not None and self.access_key_id is not None:
            raise ValueError("give either a profile or static keys, not both")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("session_token needs access_key_id and secret_access_key")
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("external_id is only used with role_arn")
        return self

    def known_account_id(self) -> str | None:
        """The account id without asking AWS: configured, or read from the role ARN."""
        if self.account_id:
            return self.account_id
        match = _ROLE_ARN.match(self.role_arn or "")
        return match["account"] if match else None


# An EC2 instance type: family (hyphens allowed: u-6tb1, mac2-m2) "." size.
INSTANCE_TYPE = r"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$"


class MetadataOptions(ProviderSettings):
    """The instance metadata service (IMDS) of the launch template. IMDSv2 only by default."""

    http_tokens: Literal["required", "optional"] = Field(
        default="required", description="required: IMDSv2 only (session tokens)"
    )
    hop_limit: int = Field(
        default=2, ge=1, le=64, description="PUT response hop limit; 2 lets containers reach it"
    )
    endpoint: Literal["enabled", "disabled"] = "enabled"
    instance_tags: bool = Field(default=False, description="Instance tags readable from IMDS")


class BlockDevice(ProviderSettings):
    """One EBS volume of the launch template; encrypted unless told otherwise."""

    device_name: str = Field(min_length=1, max_length=64, description="e.g. /dev/xvda")
    volume_size: int | None = Field(default=None, ge=1, le=65536, description="GiB")
    volume_type: Literal["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"] = "gp3"
    iops: int | None = Field(default=None, ge=100, le=256000)
    throughput: int | None = Field(default=None, ge=125, le=2000, description="MiB/s, gp3")
    encrypted: bool = True
    kms_key_id: str | None = Field(default=None, description="Key id, alias or ARN")
    snapshot_id: str | None = None
    delete_on_termination: bool = True

    @model_validator(mode="after")
    def _key_needs_encryption(self) -> Self:
        if self.kms_key_id and not self.encrypted:
            raise ValueError("kms_key_id needs encrypted: true")
        return self


class AwsServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on AWS (the launch template and the ASG)."""

    instance_type: str = Field(default="t3.micro", pattern=INSTANCE_TYPE)
    subnets: tuple[str, ...] = Field(
        default=(),
        description="Subnet ids; default: the default VPC's subnets in the spec's zones "
        "(an error when the region has no default VPC)",
    )
    key_name: str | None = None
    iam_instance_profile: str | None = Field(default=None, description="Name or ARN")
    health_check_type: Literal["EC2", "ELB"] = "EC2"
    health_check_grace_period: int = Field(default=300, ge=0, le=7200)
    metadata_options: MetadataOptions = Field(default_factory=MetadataOptions)
    block_devices: tuple[BlockDevice, ...] = ()
    associate_public_ip: bool | None = Field(
        default=None,
        description="Set: the instances get a network interface (device 0) with or without a "
        "public IPv4 address, carrying the security groups; unset: the subnet decides",
    )
    detailed_monitoring: bool = Field(default=False, description="1-minute CloudWatch metrics")
    instance_types: tuple[str, ...] = Field(
        default=(),
        description="Two or more: a mixed instances policy over these types (instance_type "
        "is then ignored)",
    )
    on_demand_base_capacity: int = Field(default=0, ge=0)
    on_demand_percentage_above_base: int = Field(default=100, ge=0, le=100)
    spot_allocation_strategy: Literal[
        "price-capacity-optimized",
        "capacity-optimized",
        "capacity-optimized-prioritized",
        "lowest-price",
    ] = "price-capacity-optimized"
    capacity_rebalance: bool = Field(default=False, description="Replace Spot at rebalance risk")
    inherit_scaling: bool = Field(
        default=True,
        description="Copy the previous version's lifecycle hooks, scaling policies and "
        "scheduled actions (three reads per create); false: the new version starts without",
    )

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not re.fullmatch(INSTANCE_TYPE, item):
                raise ValueError(f"{item!r} is not an instance type")
        if len(value) == 1:
            raise ValueError("give two or more instance types, or use instance_type")
        if len(value) > 40:
            raise ValueError("a mixed instances policy takes at most 40 instance types")
        return value

    @property
    def mixed(self) -> bool:
        """A mixed instances policy (several types, or any Spot capacity)."""
        return len(self.instance_types) > 1 or self.on_demand_percentage_above_base < 100


class AwsLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec on AWS."""

    type: Literal["application", "network"] = "application"
    scheme: Literal["internet-facing", "internal"] = "internal"
    subnets: tuple[str, ...] = Field(
        default=(),
        description="At least two subnets in two zones; default: the default VPC's (an error "
        "when the region has none)",
    )
    security_groups: tuple[str, ...] = Field(default=(), description="Group ids (ALB only)")
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:(acm|iam):.+$",
        description="The default certificate of an HTTPS or TLS listener (ACM or IAM ARN)",
    )
    ssl_policy: str | None = Field(default=None, description="HTTPS/TLS security policy name")
    traffic_listeners: tuple[int, ...] = Field(
        default=(),
        description="Ports of the listeners whose forward actions (default and rules) a "
        "weighted split moves; default: every listener of the load balancer",
    )


class AwsSecurityGroupSettings(ProviderSettings):
    """The ``settings`` block of a security group spec on AWS."""

    vpc_id: str | None = Field(default=None, description="Default: the region's default VPC")


class VpcSettings(ProviderSettings):
    """The security group settings ``VpcSecurityGroups`` reads: the VPC a group is created in.
    ECS's and Lambda's security group settings subclass it."""

    vpc_id: str | None = Field(default=None, description="Default: the region's default VPC")
