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


class AwsServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on AWS (the launch template and the ASG)."""

    instance_type: str = Field(default="t3.micro", pattern=r"^[a-z0-9]+\.[a-z0-9]+$")
    subnets: tuple[str, ...] = Field(
        default=(), description="Subnet ids; default: the spec's zones, else the default VPC's"
    )
    key_name: str | None = None
    iam_instance_profile: str | None = Field(default=None, description="Name or ARN")
    health_check_type: Literal["EC2", "ELB"] = "EC2"
    health_check_grace_period: int = Field(default=300, ge=0, le=7200)
    starting_seconds: float = Field(
        default=600,
        ge=0,
        description="How long an instance without load balancer data counts as Starting",
    )


class AwsLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec on AWS."""

    type: Literal["application", "network"] = "application"
    scheme: Literal["internet-facing", "internal"] = "internal"
    subnets: tuple[str, ...] = Field(
        default=(), description="At least two subnets in two zones; default: the default VPC's"
    )
    security_groups: tuple[str, ...] = Field(default=(), description="Group ids (ALB only)")


class AwsSecurityGroupSettings(ProviderSettings):
    """The ``settings`` block of a security group spec on AWS."""

    vpc_id: str | None = Field(default=None, description="Default: the region's default VPC")


class VpcSettings(ProviderSettings):
    """The security group settings ``VpcSecurityGroups`` reads: the VPC a group is created in.
    ECS's and Lambda's security group settings subclass it."""

    vpc_id: str | None = Field(default=None, description="Default: the region's default VPC")
