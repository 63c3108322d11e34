"""The ECS provider's settings: the account's, and the provider blocks of specs.

Imports pydantic, cloudrig and ``cloudrig_aws``'s settings only (no boto3).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloudrig.provider import ProviderSettings
from cloudrig_aws import AwsAccountSettings, VpcSettings


class EcsAccountSettings(AwsAccountSettings):
    """One AWS account used for ECS: the AWS settings plus the ECS cluster services run in."""

    cluster: str = Field(
        default="default", pattern=r"^[a-zA-Z0-9_-]{1,255}$", description="The ECS cluster"
    )


class CapacityProviderItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    capacity_provider: str
    weight: int = Field(default=1, ge=0, le=1000)
    base: int = Field(default=0, ge=0, le=100000)


class EcsServiceSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on ECS (service + task definition).

    The spec's ``artifact`` is the container image; ``environment`` its environment."""

    launch_type: Literal["FARGATE", "EC2"] | None = Field(
        default="FARGATE", description="None when a capacity provider strategy is given"
    )
    capacity_provider_strategy: tuple[CapacityProviderItem, ...] = ()
    cpu: str = "256"
    memory: str = "512"
    container_name: str = Field(default="app", pattern=r"^[a-zA-Z0-9_-]{1,255}$")
    container_port: int = Field(default=80, ge=1, le=65535)
    health_check_command: tuple[str, ...] = Field(
        default=(), description='Container health check, e.g. ("CMD-SHELL", "curl -f localhost")'
    )
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
        return self


class EcsLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec on ECS (an ALB)."""

    scheme: Literal["internet-facing", "internal"] = "internal"
    subnets: tuple[str, ...] = Field(default=(), description="Default: the default VPC's")
    security_groups: tuple[str, ...] = Field(default=(), description="Group ids")


class EcsSecurityGroupSettings(VpcSettings):
    """The ``settings`` block of a security group spec on ECS (``VpcSecurityGroups`` reads it)."""
