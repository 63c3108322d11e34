"""The Lambda provider's settings: the account's, and the provider blocks of specs.

Imports pydantic, cloudrig and ``cloudrig_aws.settings`` only (no boto3), so listing providers
and validating configuration never load the SDK.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from cloudrig.provider import ProviderSettings
from cloudrig_aws import AwsAccountSettings, VpcSettings

_LAYER = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[a-zA-Z0-9_-]+:[0-9]+$")
_SECRET = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter/).+$"
)
_ENV = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")


class LambdaAccountSettings(AwsAccountSettings):
    """One AWS account used for Lambda: the AWS settings (credentials, regions, endpoint), plus
    the name of the alias every cluster (function) routes its traffic through."""

    alias: str = Field(
        default="live",
        pattern=r"^[a-zA-Z0-9_-]*[a-zA-Z_-][a-zA-Z0-9_-]*$",
        max_length=128,
        description="The alias of each function that clients invoke; its weights are the traffic",
    )
    health_poll_interval: float = Field(
        default=2.0,
        ge=0.05,
        le=15.0,
        description="Seconds between the first health polls of a new version (each pause "
        "grows by half up to 15 s)",
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
    architectures: tuple[Literal["x86_64", "arm64"]] = Field(
        default=("x86_64",), description="The instruction set: one of x86_64, arm64 (Graviton)"
    )
    ephemeral_storage: int = Field(default=512, ge=512, le=10240, description="/tmp, MiB")
    layers: tuple[str, ...] = Field(
        default=(),
        max_length=5,
        description="Layer version ARNs (arn:aws:lambda:<region>:<account>:layer:<name>:<n>)",
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variable -> ARN of a Secrets Manager secret or SSM parameter. "
        "The function gets the ARN, never the value, and reads it at run time (e.g. with the "
        "AWS Parameters and Secrets Lambda Extension)",
    )
    reserved_concurrency: int | None = Field(
        default=None,
        ge=0,
        description="The function's reserved concurrency (every version shares it); None: "
        "unreserved (a reservation made earlier is removed)",
    )
    code_bucket: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z.\-_]{3,63}$",
        description="S3 bucket a local zip above Lambda's direct upload limit (50 MB) is "
        "uploaded to (through the limiter) before the function takes it from there",
    )
    image_command: tuple[str, ...] = Field(
        default=(), description="Container images: the CMD override (ImageConfig.Command)"
    )
    subnets: tuple[str, ...] = Field(
        default=(), description="VPC subnets; required when the spec names security groups"
    )
    verify_payload: dict[str, Any] | None = Field(
        default=None,
        description="When set, health also invokes the version with this payload: an answer "
        "with a FunctionError makes the version Down",
    )

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in layers if not _LAYER.match(arn)]
        if bad:
            raise ValueError(f"layers {bad}: expected layer version ARNs ({_LAYER.pattern})")
        return layers

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, secrets: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k, v in secrets.items() if not _SECRET.match(v) or not _ENV.match(k))
        if bad:
            raise ValueError(
                f"secrets {', '.join(bad)}: expected NAME -> the ARN of a Secrets Manager secret "
                "(arn:aws:secretsmanager:…:secret:…) or SSM parameter (arn:aws:ssm:…:parameter/…)"
            )
        return secrets

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
