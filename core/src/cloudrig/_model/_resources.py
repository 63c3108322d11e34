"""The provider-neutral model: what to deploy (specs) and what exists (observed state).

Observed state is immutable; specs are immutable too so they can be shared, hashed and logged.
Every model builds its validator on first use (``defer_build``): importing the model, as a
provider's naming policy does while providers are listed, defines the classes and nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from cloudrig._model._health import HealthDetail, HealthState, InstanceCounts, aggregate_health

_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Moniker(BaseModel):
    """The logical identity of a server group: app, stack, detail and the version sequence.

    Any Unicode is allowed in app, stack and detail: each provider maps them to what its cloud accepts
    (see ``NamingPolicy``) and stores the original in tags or labels.
    """

    model_config = _FROZEN

    app: str
    stack: str = ""
    detail: str = ""
    sequence: int | None = Field(default=None, ge=0, le=999)

    @field_validator("app")
    @classmethod
    def _app_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("app must not be empty")
        return value

    @field_validator("app", "stack", "detail")
    @classmethod
    def _encodable(cls, value: str) -> str:
        # A lone surrogate (e.g. from a surrogateescape'd file name) cannot be hashed or stored
        # in any cloud's tags as UTF-8; reject it here rather than crash in a provider.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text (it contains a lone surrogate)") from None
        return value

    @property
    def cluster(self) -> str:
        """The cluster name in Frigga form: ``app``, ``app-stack``, ``app--detail`` or
        ``app-stack-detail``. Uses the original characters; clouds see ``NamingPolicy``'s mapping."""
        if self.detail:
            return f"{self.app}-{self.stack}-{self.detail}"
        if self.stack:
            return f"{self.app}-{self.stack}"
        return self.app

    def with_sequence(self, sequence: int | None) -> Moniker:
        """This moniker with another version sequence (``None``: the cluster, no version)."""
        return self.model_copy(update={"sequence": sequence})

    def same_cluster(self, other: Moniker) -> bool:
        """Whether both monikers name the same cluster (app, stack, detail), whatever the version."""
        return (self.app, self.stack, self.detail) == (other.app, other.stack, other.detail)


class Capacity(BaseModel):
    """Instance counts of a server group: 0 ≤ min ≤ desired ≤ max."""

    model_config = _FROZEN

    min: int = Field(ge=0)
    desired: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.min <= self.desired <= self.max:
            raise ValueError(
                f"capacity must satisfy min <= desired <= max, got min={self.min}, "
                f"desired={self.desired}, max={self.max}"
            )
        return self

    @classmethod
    def fixed(cls, n: int) -> Capacity:
        """A capacity of exactly ``n`` instances: ``min == desired == max == n``."""
        return cls(min=n, desired=n, max=n)


class ServerGroupSpec(BaseModel):
    """What to deploy: one new version of a cluster.

    ``settings`` is the provider-specific block; it is validated by the provider's own model when the
    spec reaches an account (``Account.validate_spec``), so a typo there is an error, not a no-op.
    """

    model_config = _FROZEN

    moniker: Moniker
    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    zones: tuple[str, ...] = ()
    artifact: str = Field(min_length=1, description="Image, AMI, container image or code package")
    capacity: Capacity
    load_balancers: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    environment: Mapping[str, str] = Field(default_factory=dict)
    user_data: str | None = None
    tags: Mapping[str, str] = Field(default_factory=dict)
    settings: Mapping[str, Any] = Field(default_factory=dict)


class ServerGroupMetadata(BaseModel):
    """The small create-time facts a server group carries in the cloud (tags, labels, annotations)."""

    model_config = _FROZEN

    moniker: Moniker
    deployment_id: str | None = None


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class CreateServerGroup(BaseModel, Generic[SettingsT]):
    """A create request as the core hands it to a provider: the spec with everything decided.

    ``name`` is the cloud name from the provider's naming policy; ``metadata`` must be written in the
    create call itself so a crash right after creating can be recovered by deployment id;
    ``settings`` is the spec's provider block, already validated by the provider's spec-settings
    model (the noun's type parameter), so a provider reads it without checking it again.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, defer_build=True
    )

    name: str
    spec: ServerGroupSpec
    metadata: ServerGroupMetadata
    settings: SettingsT


class Instance(BaseModel):
    """One instance (VM, task, pod, function version) with per-source health details."""

    model_config = _FROZEN

    id: str
    zone: str | None = None
    launched_at: datetime | None = None
    details: tuple[HealthDetail, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def health(self) -> HealthState:
        """The instance's health from all its sources: any ``DOWN`` wins, then ``UP`` needs every
        reporting source up (see ``aggregate_health``)."""
        return aggregate_health(self.details)


class ServerGroup(BaseModel):
    """A server group as it exists in the cloud."""

    model_config = _FROZEN

    name: str
    moniker: Moniker
    account: str
    region: str
    zones: tuple[str, ...] = ()
    capacity: Capacity
    instances: tuple[Instance, ...] = ()
    enabled: bool
    created_at: datetime | None = None
    artifact: str | None = None
    load_balancers: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    deployment_id: str | None = None
    tags: Mapping[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> InstanceCounts:
        """How many instances are in each health state."""
        return InstanceCounts.of(i.health for i in self.instances)

    @property
    def healthy(self) -> int:
        """How many instances are up: what the group can serve if it is enabled."""
        return self.counts.up

    @property
    def ready(self) -> int:
        """How many instances a health wait counts as Up: ``healthy`` for an enabled group; for a
        disabled one (a rollback target kept warm) a load balancer's 'out of service' is expected
        and not held against it — every other source must say Up, and the load balancer checks
        them again when the group is enabled."""
        if self.enabled:
            return self.healthy
        return sum(
            1
            for instance in self.instances
            if aggregate_health(
                d for d in instance.details if d.state is not HealthState.OUT_OF_SERVICE
            )
            is HealthState.UP
        )


class Cluster(BaseModel):
    """Every server group of one moniker cluster in an account, across regions, oldest first."""

    model_config = _FROZEN

    name: str
    account: str
    app: str
    stack: str = ""
    detail: str = ""
    server_groups: tuple[ServerGroup, ...] = ()

    @property
    def enabled(self) -> tuple[ServerGroup, ...]:
        """The server groups in traffic, oldest first."""
        return tuple(g for g in self.server_groups if g.enabled)

    @property
    def newest(self) -> ServerGroup | None:
        """The most recently created server group, ``None`` for an empty cluster."""
        return self.server_groups[-1] if self.server_groups else None


class Protocol(StrEnum):
    """The IP protocol an ingress rule allows (``all``: every protocol and port)."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"


class IngressRule(BaseModel):
    """Allow traffic in on a port range from CIDRs and/or from members of other security groups."""

    model_config = _FROZEN

    protocol: Protocol = Protocol.TCP
    from_port: int = Field(ge=0, le=65535)
    to_port: int = Field(ge=0, le=65535)
    cidrs: tuple[str, ...] = ()
    source_groups: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.from_port > self.to_port:
            raise ValueError(f"from_port {self.from_port} is above to_port {self.to_port}")
        if not self.cidrs and not self.source_groups:
            raise ValueError("an ingress rule needs at least one CIDR or source group")
        return self


class SecurityGroupSpec(BaseModel):
    """A security group (firewall) as declared: its name, where it lives and the traffic it lets
    in. ``settings`` is the provider's block (a VPC, a network), validated by its own model.
    Upserting the same spec twice changes nothing."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    description: str = ""
    ingress: tuple[IngressRule, ...] = ()
    settings: Mapping[str, Any] = Field(default_factory=dict)


class SecurityGroup(BaseModel):
    """A security group as it exists in the cloud: the cloud's ``id`` beside cloudrig's ``name``."""

    model_config = _FROZEN

    name: str
    id: str
    account: str
    region: str
    description: str = ""
    ingress: tuple[IngressRule, ...] = ()


class HealthCheck(BaseModel):
    """How a load balancer probes its members: ``protocol`` and ``path`` on ``port`` (the members'
    traffic port when ``None``) every ``interval_seconds``; a member turns healthy after
    ``healthy_threshold`` passing probes in a row and unhealthy after ``unhealthy_threshold``
    failing ones."""

    model_config = _FROZEN

    protocol: str = "http"
    port: int | None = Field(default=None, ge=1, le=65535)
    path: str = "/health"
    interval_seconds: int = Field(default=10, ge=1)
    healthy_threshold: int = Field(default=2, ge=1)
    unhealthy_threshold: int = Field(default=2, ge=1)


class LoadBalancerSpec(BaseModel):
    """A load balancer as declared: where it lives, the ``protocol`` and ``port`` it listens on,
    the ``target_port`` its members serve on (the same port when ``None``) and how it probes them.
    ``settings`` is the provider's block (subnets, a scheme, certificates), validated by its own
    model. Upserting the same spec twice changes nothing."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    account: str = Field(min_length=1)
    region: str = Field(min_length=1)
    protocol: str = "http"
    port: int = Field(default=80, ge=1, le=65535)
    target_port: int | None = Field(default=None, ge=1, le=65535)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    settings: Mapping[str, Any] = Field(default_factory=dict)


class LoadBalancer(BaseModel):
    """A load balancer as it exists in the cloud: where clients reach it (``endpoint``) and the
    server groups currently registered behind it."""

    model_config = _FROZEN

    name: str
    account: str
    region: str
    protocol: str
    port: int
    endpoint: str | None = None
    server_groups: tuple[str, ...] = ()


class TrafficWeights(BaseModel):
    """Traffic shares in percent per server group name; the shares sum to 100."""

    model_config = _FROZEN

    weights: Mapping[str, int]

    @field_validator("weights")
    @classmethod
    def _sum_to_100(cls, value: Mapping[str, int]) -> Mapping[str, int]:
        if not value:
            raise ValueError("at least one server group must receive traffic")
        if any(w < 0 or w > 100 for w in value.values()):
            raise ValueError("each weight must be between 0 and 100")
        if sum(value.values()) != 100:
            raise ValueError(f"weights must sum to 100, got {sum(value.values())}")
        return dict(value)


class CheckResult(BaseModel):
    """What an account check found: the cloud identity the credentials resolve to."""

    model_config = _FROZEN

    identity: str
    detail: str = ""
