"""The Lambda provider's settings: the account's, and the provider blocks of specs.

Imports pydantic, cloudrig and ``cloudrig_aws.settings`` only (no boto3), so listing providers
and validating configuration never load the SDK.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloudrig.provider import ProviderSettings
from cloudrig_aws import AwsAccountSettings, VpcSettings


class LambdaAccountSettings(AwsAccountSettings):
    """One AWS account used for Lambda: the AWS settings (credentials, regions, endpoint), plus
    the name of the alias every cluster (function) routes its traffic through."""

    alias: str = Field(
        default="live",
        pattern=r"^[a-zA-Z0-9_-]*[a-zA-Z_-][a-zA-Z0-9_-]*$",
        max_length=128,
        description="The alias of each function that clients invoke; its weights are the traffic",
    )


class LambdaFunctionSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on Lambda (the function's configuration).

    The spec's ``artifact`` is the code: ``s3://bucket/key`` (an S3 object), a path to a local
    ``.zip`` file, or a container image URI (``…/repo:tag`` or ``…/repo@sha256:…``)."""

    role: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", description="Execution role")
    runtime: str | None = Field(default="python3.12", description="None for container images")
    handler: str | None = Field(default="index.handler", description="None for container images")
    memory_size: int = Field(default=128, ge=128, le=10240)
    timeout: int = Field(default=3, ge=1, le=900)
    architectures: tuple[Literal["x86_64", "arm64"], ...] = ("x86_64",)
    subnets: tuple[str, ...] = Field(
        default=(), description="VPC subnets; required when the spec names security groups"
    )
    verify_payload: dict[str, Any] | None = Field(
        default=None,
        description="When set, health also invokes the version with this payload: an answer "
        "with a FunctionError makes the version Down",
    )
    provisioned_concurrency: bool = Field(
        default=False,
        description="Capacity mode of the version. False (default): on demand, Lambda scales "
        "the version itself and nothing is paid for idle; the version is one instance "
        "(capacity.desired 1; 0 = scaled down, no instances) and above 1 is refused. True: "
        "capacity.desired is the version's provisioned concurrency (execution environments "
        "kept initialised, billed while configured), one instance per environment. Recorded "
        "in the version at publish: each version keeps its mode",
    )


class LambdaLoadBalancerSettings(ProviderSettings):
    """A Lambda load balancer is an ELB target group of type ``lambda``: no settings yet."""

    health_check: bool = Field(default=False, description="ELB health checks on the function")


class LambdaSecurityGroupSettings(VpcSettings):
    """The ``settings`` block of a security group spec (an EC2 security group for the VPC): the
    settings of ``cloudrig_aws.VpcSecurityGroups``, the ``security_groups`` noun."""
