"""The GCP provider's settings models: an account's, and the provider blocks of specs.

This module imports pydantic and cloudrig only, never google-cloud-compute: the descriptor names
these models, so ``cloudrig providers``, config validation and ``cloudrig schema`` load them
without the SDK.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from cloudrig.provider import AccountSettings, ProviderSettings, Secret

_PROJECT = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z][a-z0-9.:-]{2,62}$"


class GcpAccountSettings(AccountSettings):
    """One GCP project, as written in ``cloudrig.yaml``::

    accounts:
      gcp-prod:
        provider: gcp
        project: checkout-prod-4711
        regions: [us-central1, europe-west1]
        service_account_json: file:/etc/cloudrig/sa.json   # or omit: application default

    Credentials: a service-account key (its JSON, as a secret reference ``env:NAME`` or
    ``file:PATH``), or Google's application default credentials when none is given, or
    ``anonymous`` for an emulator (only with ``api_endpoint``). The limiter's buckets are keyed by
    the project, so two configured accounts on one project share one budget.
    """

    project: str = Field(pattern=_PROJECT, description="The GCP project id")
    service_account_json: Secret | None = Field(
        default=None, description="A service-account key's JSON (a secret reference)"
    )
    anonymous: bool = Field(
        default=False, description="No credentials at all: for an emulator at api_endpoint"
    )
    api_endpoint: str | None = Field(
        default=None,
        description="Compute API endpoint (an emulator, a proxy, a private endpoint)",
    )
    timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds per HTTP request")
    operation_timeout: float = Field(
        default=600.0, gt=0, description="Seconds a long-running operation may take"
    )

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if self.anonymous and self.service_account_json is not None:
            raise ValueError("anonymous and service_account_json exclude each other")
        if self.anonymous and not self.api_endpoint:
            raise ValueError("anonymous credentials only make sense with an api_endpoint")
        return self


class GcpAutoscaling(ProviderSettings):
    """A server group's autoscaling policy (a regional autoscaler; its bounds are the spec's
    capacity min and max). Modes as GCE's: ON scales both ways, ONLY_SCALE_OUT only adds VMs,
    OFF keeps the configuration and never resizes."""

    mode: Literal["ON", "OFF", "ONLY_SCALE_OUT"] = "ON"
    cpu_target: float | None = Field(
        default=None, gt=0, le=1, description="Average CPU utilization to keep (0-1]"
    )
    load_balancing_target: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Fraction of the backend services' serving capacity to keep (0-1]",
    )
    cool_down_seconds: int = Field(default=60, ge=0, le=3600)

    @model_validator(mode="after")
    def _a_target_when_scaling(self) -> Self:
        if self.mode != "OFF" and self.cpu_target is None and self.load_balancing_target is None:
            raise ValueError(
                f"autoscaling mode {self.mode} needs cpu_target or load_balancing_target"
            )
        return self


class GcpServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on GCP (the instance template and the MIG)."""

    machine_type: str = Field(default="e2-small", pattern=r"^[a-z0-9-]+$")
    zone: str | None = Field(
        default=None,
        pattern=r"^[a-z][-a-z0-9]*[0-9]-[a-z]$",
        description=(
            "A zonal managed instance group in this zone of the spec's region "
            "(e.g. us-central1-a); null (the default): a regional one over the spec's zones"
        ),
    )
    network: str = Field(default="default", description="VPC network name or URL")
    subnetwork: str | None = Field(default=None, description="Subnetwork name or URL")
    boot_disk_gb: int = Field(default=10, ge=10, le=65536)
    service_account: str | None = Field(
        default="default",
        description=(
            "Email the instances run as; 'default' (the default): the project's Compute Engine "
            "default service account, named explicitly; null: no service account at all"
        ),
    )
    balancing_mode: Literal["UTILIZATION", "RATE"] = Field(
        default="UTILIZATION",
        description="How the group is added to backend services (both allow capacityScaler)",
    )
    max_rate_per_instance: float = Field(default=100.0, gt=0, description="RATE mode only")
    starting_seconds: float = Field(
        default=600,
        ge=0,
        description="How long a RUNNING instance without backend data is Starting",
    )
    autoscaling: GcpAutoscaling | None = Field(
        default=None,
        description=(
            "The group's autoscaling policy; omitted: the previous version's policy is carried "
            "over (else bounds only, mode OFF). Paused (mode OFF) while the group is disabled"
        ),
    )
    autohealing_delay_seconds: int | None = Field(
        default=300,
        ge=0,
        le=3600,
        description=(
            "Autohealing on the health check of the group's first load balancer, after this "
            "initial delay; null: no autohealing (a group without load balancers has none)"
        ),
    )


class GcpLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec: a backend service + health check, global or
    (``scope: regional``) in the spec's region."""

    load_balancing_scheme: Literal[
        "EXTERNAL_MANAGED", "EXTERNAL", "INTERNAL_SELF_MANAGED", "INTERNAL_MANAGED"
    ] = "EXTERNAL_MANAGED"
    scope: Literal["global", "regional"] = Field(
        default="global",
        description=(
            "global: a global backend service (external or cross-region internal Application "
            "Load Balancers); regional: a backend service and health check in the spec's region "
            "(regional internal or external Application Load Balancers)"
        ),
    )
    port_name: str = Field(default="http", pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
    timeout_sec: int = Field(default=30, ge=1, le=86400)

    @model_validator(mode="after")
    def _scheme_fits_scope(self) -> Self:
        if self.scope == "regional" and self.load_balancing_scheme == "INTERNAL_SELF_MANAGED":
            raise ValueError(
                "load_balancing_scheme INTERNAL_SELF_MANAGED (Traffic Director) takes a global "
                "backend service: use scope global"
            )
        return self


class GcpSecurityGroupSettings(ProviderSettings):
    """The ``settings`` block of a security group spec: the firewall rules' network."""

    network: str = Field(default="default", description="VPC network name or URL")
    priority: int = Field(default=1000, ge=0, le=65535)
