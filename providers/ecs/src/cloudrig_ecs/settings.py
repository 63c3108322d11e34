"""The ECS provider's settings: the account's, and the provider blocks of specs.

Imports pydantic, cloudrig and ``cloudrig_aws``'s settings only (no boto3).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloudrig.provider import ProviderSettings
from cloudrig_aws import AwsAccountSettings, VpcSettings


class EcsAccountSettings(AwsAccountSettings):
    """One AWS account used for ECS: the AWS settings plus the ECS cluster services run in."""

    cluster: str = Field(
        default="default", pattern=r"^[a-zA-Z0-9_-]{1,255}$", description="The ECS cluster"
    )
    health_poll_interval: float = Field(
        default=2.0,
        ge=0.05,
        le=15.0,
        description="Seconds before the first health poll of a new version (a new service is "
        "not read sooner) and between the first polls; each pause grows by half up to 15 s",
    )


FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
_SECRET = r"^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter/).+$"


class CapacityProviderItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    capacity_provider: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,255}$")
    weight: int = Field(default=1, ge=0, le=1000)
    base: int = Field(default=0, ge=0, le=100000)


class LogSettings(BaseModel):
    """The containers' log configuration. ``awslogs`` (the default): CloudWatch Logs group
    ``group`` (default ``/ecs/<cluster name>``, created on first use when ``create_group``),
    streams ``<server group>/<container>/<task id>``, in the service's region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    driver: Literal["awslogs", "none"] = "awslogs"
    group: str | None = Field(default=None, pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$")
    create_group: bool = True
    options: dict[str, str] = Field(default_factory=dict, description="More driver options")


class ContainerSettings(BaseModel):
    """A sidecar: another container of the task (the spec's artifact is the main one, the one
    behind the load balancer)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,255}$")
    image: str = Field(min_length=1, max_length=1024)
    essential: bool = True
    port: int | None = Field(default=None, ge=1, le=65535)
    environment: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    command: tuple[str, ...] = ()
    health_check_command: tuple[str, ...] = ()
    cpu: int | None = Field(default=None, ge=0)
    memory: int | None = Field(default=None, ge=4, description="Hard limit, MiB")


class EcsServiceSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on ECS (service + task definition).

    The spec's ``artifact`` is the main container's image (``container_name``, behind the load
    balancers on ``container_port``); ``environment`` its environment."""

    launch_type: Literal["FARGATE", "EC2"] | None = Field(
        default="FARGATE", description="None when a capacity provider strategy is given"
    )
    capacity_provider_strategy: tuple[CapacityProviderItem, ...] = ()
    cpu: str = "256"
    memory: str = "512"
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        default="X86_64", description="runtimePlatform.cpuArchitecture (ARM64: Graviton)"
    )
    container_name: str = Field(default="app", pattern=r"^[a-zA-Z0-9_-]{1,255}$")
    container_port: int = Field(default=80, ge=1, le=65535)
    health_check_command: tuple[str, ...] = Field(
        default=(), description='Container health check, e.g. ("CMD-SHELL", "curl -f localhost")'
    )
    health_check_grace_period: int | None = Field(
        default=None,
        ge=0,
        le=2147483647,
        description="Seconds ECS ignores the load balancer's health checks of a new task "
        "(healthCheckGracePeriodSeconds; services behind a load balancer only)",
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variable -> ARN of a Secrets Manager secret or SSM parameter: "
        "ECS resolves it when the task starts (needs execution_role_arn); never the value",
    )
    sidecars: tuple[ContainerSettings, ...] = ()
    logs: LogSettings = LogSettings()
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    subnets: tuple[str, ...] = Field(default=(), description="Default: the default VPC's")
    assign_public_ip: bool = False

    @model_validator(mode="after")
    def _one_placement(self) -> EcsServiceSettings:
        if self.capacity_provider_strategy and self.launch_type is not None:
            raise ValueError("give launch_type or capacity_provider_strategy, not both")
        if not self.capacity_provider_strategy and self.launch_type is None:
            raise ValueError("give launch_type or capacity_provider_strategy")
        providers = {c.capacity_provider for c in self.capacity_provider_strategy}
        if providers & FARGATE_PROVIDERS and providers - FARGATE_PROVIDERS:
            raise ValueError(
                "capacity_provider_strategy mixes FARGATE/FARGATE_SPOT with "
                f"{sorted(providers - FARGATE_PROVIDERS)}: ECS runs a service on one or the other"
            )
        return self

    @model_validator(mode="after")
    def _containers(self) -> EcsServiceSettings:
        names = [self.container_name, *(c.name for c in self.sidecars)]
        if len(set(names)) != len(names):
            raise ValueError(f"container names must differ: {names}")
        every = dict(self.secrets)
        for sidecar in self.sidecars:
            every |= sidecar.secrets
        bad = sorted(k for k, v in every.items() if not re.match(_SECRET, v))
        if bad:
            raise ValueError(
                f"secrets {', '.join(bad)}: expected the ARN of a Secrets Manager secret "
                "(arn:aws:secretsmanager:…:secret:…) or an SSM parameter "
                "(arn:aws:ssm:…:parameter/…)"
            )
        if every and not self.execution_role_arn:
            raise ValueError("secrets need execution_role_arn: ECS reads them with that role")
        if (
            "logs" in self.model_fields_set
            and self.logs.driver == "awslogs"
            and self.fargate
            and not self.execution_role_arn
        ):
            raise ValueError(
                "logs.driver awslogs on Fargate needs execution_role_arn (it writes the logs)"
            )
        return self

    @property
    def fargate(self) -> bool:
        """Whether the tasks run on Fargate (launch type, or FARGATE / FARGATE_SPOT providers)."""
        if self.launch_type is not None:
            return self.launch_type == "FARGATE"
        return {c.capacity_provider for c in self.capacity_provider_strategy} <= FARGATE_PROVIDERS

    @property
    def sends_logs(self) -> bool:
        """awslogs unless switched off; by default only where the task can write them (an
        execution role, or EC2's instance role)."""
        return self.logs.driver == "awslogs" and (bool(self.execution_role_arn) or not self.fargate)


class EcsLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec on ECS (an ALB)."""

    scheme: Literal["internet-facing", "internal"] = "internal"
    subnets: tuple[str, ...] = Field(default=(), description="Default: the default VPC's")
    security_groups: tuple[str, ...] = Field(default=(), description="Group ids")
    listeners: tuple[int | str, ...] = Field(
        default=(),
        description="The listeners that carry the traffic, by port or listener ARN (e.g. "
        "[443] on an ALB whose port 80 redirects); default: the one on the spec's port",
    )
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:(acm|iam)::?[a-z0-9-]*:?\d{12}:(certificate|server-certificate)/.+$",
        description="The certificate of an HTTPS listener cloudrig creates (protocol https)",
    )
    ssl_policy: str | None = None


class EcsSecurityGroupSettings(VpcSettings):
    """The ``settings`` block of a security group spec on ECS (``VpcSecurityGroups`` reads it)."""
