"""cloudrig provider for Kubernetes.

Public API: the settings models, the gated client (``KubeClient``, ``attach``), the error
mapping (``classify``, ``map_error``) and ``KubernetesProvider``. Importing this package loads the
settings only; names that need the kubernetes client load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudrig_kubernetes.settings import (
    KubernetesAccountSettings,
    KubernetesLoadBalancerSettings,
    KubernetesSecurityGroupSettings,
    KubernetesServerGroupSettings,
)

if TYPE_CHECKING:
    from cloudrig_kubernetes.clients import KubeClient, attach
    from cloudrig_kubernetes.errors import classify, map_error
    from cloudrig_kubernetes.provider import KubernetesProvider

_LAZY = {
    "KubeClient": "cloudrig_kubernetes.clients",
    "attach": "cloudrig_kubernetes.clients",
    "classify": "cloudrig_kubernetes.errors",
    "map_error": "cloudrig_kubernetes.errors",
    "KubernetesProvider": "cloudrig_kubernetes.provider",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
