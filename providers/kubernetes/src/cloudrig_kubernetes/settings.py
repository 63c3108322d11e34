"""The Kubernetes provider's settings models: an account's, and the provider blocks of specs.

This module imports pydantic and cloudrig only, never the kubernetes client: the descriptor names
these models, so ``cloudrig providers``, config validation and ``cloudrig schema`` stay light.

Regions are namespaces: a Kubernetes account deploys into the namespaces it lists, and every
operation's ``region`` argument is one of them (as in Spinnaker's Kubernetes provider).
"""

from __future__ import annotations

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


class KubernetesServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on Kubernetes: the pod template.

    ``pod_spec`` is a PodSpec as the API takes it (camelCase keys); cloudrig sets the image of the
    container named ``container`` (added when absent) to the spec's artifact and appends the spec's
    environment to it. Without ``pod_spec`` the pod is that one container with ``ports``.
    """

    container: str = Field(default="main", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    ports: tuple[int, ...] = Field(default=(), description="Container ports to declare")
    pod_spec: Mapping[str, Any] = Field(default_factory=dict, description="A PodSpec (camelCase)")
    min_ready_seconds: int = Field(default=0, ge=0)


class KubernetesLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer (Service) spec on Kubernetes."""

    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"


class KubernetesSecurityGroupSettings(ProviderSettings):
    """The ``settings`` block of a security group (NetworkPolicy) spec: nothing to set yet."""
