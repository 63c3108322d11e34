"""cloudrig provider for Kubernetes.

Public API: the settings models, the gated client (``KubeClient``, ``attach``), the error
mapping (``classify``, ``map_error``) and ``KubernetesProvider``. Importing this package loads the
settings only; names that need the kubernetes client load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_kubernetes.clients import KubeClient, attach
    from cloudrig_kubernetes.errors import classify, map_error
    from cloudrig_kubernetes.provider import KubernetesProvider
    from cloudrig_kubernetes.settings import (
        KubernetesAccountSettings,
        KubernetesLoadBalancerSettings,
        KubernetesSecurityGroupSettings,
        KubernetesServerGroupSettings,
    )

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "KubeClient",
    "KubernetesAccountSettings",
    "KubernetesLoadBalancerSettings",
    "KubernetesProvider",
    "KubernetesSecurityGroupSettings",
    "KubernetesServerGroupSettings",
    "attach",
    "classify",
    "map_error",
]
