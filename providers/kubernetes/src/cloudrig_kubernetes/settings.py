"""The Kubernetes provider's settings models: an account's, and the provider blocks of specs.

This module imports pydantic and cloudrig only, never the kubernetes client: the descriptor names
these models, so ``cloudrig providers``, config validation and ``cloudrig schema`` stay light.

Regions are namespaces: a Kubernetes account deploys into the namespaces it lists, and every
operation's ``region`` argument is one of them (as in Spinnaker's Kubernetes provider).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from cloudrig.provider import AccountSettings, ProviderSettings


class KubernetesAccountSettings(AccountSettings):
    """One Kubernetes cluster (one API server), as written in ``cloudrig.yaml``::

    accounts:
      k8s-prod:
        provider: kubernetes
        namespaces: [checkout, payments]      # the account's "regions"
        kubeconfig: ~/.kube/config            # default: $KUBECONFIG, then ~/.kube/config
        context: prod-admin                   # default: the kubeconfig's current context
        # or: in_cluster: true                # the pod's service account token

    ``namespaces`` is the provider's name for the core's ``regions`` (either key is accepted).
    """

    kubeconfig: str | None = Field(default=None, description="Path of a kubeconfig file")
    context: str | None = Field(default=None, description="A context of the kubeconfig")
    in_cluster: bool = Field(
        default=False, description="Use the pod's service account instead of a kubeconfig"
    )
    request_timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds per request")

    @model_validator(mode="before")
    @classmethod
    def _namespaces_are_regions(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "namespaces" in data:
            values = dict(data)
            if "regions" in values:
                raise ValueError("give namespaces or regions (the same thing), not both")
            values["regions"] = values.pop("namespaces")
            return values
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.in_cluster and (self.kubeconfig or self.context):
            raise ValueError("in_cluster uses the service account: no kubeconfig or context")
        return self

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self.regions


DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PERCENT_OR_COUNT = r"^(100|[1-9]?[0-9])%$"


class DisruptionBudget(ProviderSettings):
    """A PodDisruptionBudget for the group's pods: exactly one of the two, a count or a percent
    (``"50%"``), as the API takes it."""

    min_available: int | str | None = Field(default=None)
    max_unavailable: int | str | None = Field(default=None)

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [v for v in (self.min_available, self.max_unavailable) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of min_available and max_unavailable")
        value = given[0]
        if isinstance(value, int) and value < 0:
            raise ValueError("a disruption budget count must be >= 0")
        if isinstance(value, str) and not re.match(PERCENT_OR_COUNT, value):
            raise ValueError(f"a disruption budget must be a count or a percent, not {value!r}")
        return self


class Autoscaling(ProviderSettings):
    """A HorizontalPodAutoscaler (``autoscaling/v1``) for the group, between the spec's capacity
    min and max, scaling on average CPU utilization."""

    target_cpu_percent: int = Field(default=80, ge=1, le=1000)


class KubernetesServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on Kubernetes: the pod template.

    ``pod_spec`` is a PodSpec as the API takes it (camelCase keys); cloudrig sets the image of the
    container named ``container`` (added when absent) to the spec's artifact and appends the spec's
    environment to it. Without ``pod_spec`` the pod is that one container with ``ports``.
    ``disruption_budget`` and ``autoscaling`` add a PodDisruptionBudget / HorizontalPodAutoscaler
    owned by the group's ReplicaSet (deleted with it).
    """

    container: str = Field(default="main", pattern=DNS_LABEL)
    ports: tuple[int, ...] = Field(default=(), description="Container ports to declare")
    pod_spec: Mapping[str, Any] = Field(default_factory=dict, description="A PodSpec (camelCase)")
    min_ready_seconds: int = Field(default=0, ge=0)
    disruption_budget: DisruptionBudget | None = None
    autoscaling: Autoscaling | None = None


class ServicePort(ProviderSettings):
    """One more port of a Service, beside the spec's own ``port``/``target_port``."""

    name: str = Field(max_length=15, pattern=DNS_LABEL)
    port: int = Field(ge=1, le=65535)
    target_port: int | None = Field(default=None, ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"


class KubernetesLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer (Service) spec on Kubernetes.

    ``ports`` adds ports to the Service beside the spec's (which is named after its protocol:
    ``http``, ``tcp`` or ``udp``). The API requires every port of a multi-port Service to have a
    name, unique in the Service; a port number may repeat only with another protocol."""

    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    ports: tuple[ServicePort, ...] = ()

    @model_validator(mode="after")
    def _distinct_ports(self) -> Self:
        names = [p.name for p in self.ports]
        if len(set(names)) != len(names):
            raise ValueError(f"Service port names must be unique: {names}")
        numbers = [(p.port, p.protocol) for p in self.ports]
        if len(set(numbers)) != len(numbers):
            raise ValueError("a Service port (number and protocol) is listed twice")
        return self


class KubernetesSecurityGroupSettings(ProviderSettings):
    """The ``settings`` block of a security group (NetworkPolicy) spec: nothing to set yet."""
