"""cloudrig provider for GCP Compute: regional managed instance groups behind backend services.

Public API: the settings models (``GcpAccountSettings`` and the spec blocks), the client factory
(``ComputeClients``: compute_v1 REST clients with cloudrig's limiter attached at their HTTP
session, google-api-core retries off, operations waited on this account's own endpoint), the
error mapping (``classify``, ``map_error``) and ``GcpProvider``. Importing this package loads the
settings only; names that need google-cloud-compute load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudrig_gcp.settings import (
    GcpAccountSettings,
    GcpLoadBalancerSettings,
    GcpSecurityGroupSettings,
    GcpServerGroupSettings,
)

if TYPE_CHECKING:
    from cloudrig_gcp.clients import ComputeClients
    from cloudrig_gcp.errors import classify, map_error
    from cloudrig_gcp.provider import GcpProvider
    from cloudrig_gcp.transport import attach

_LAZY = {
    "ComputeClients": "cloudrig_gcp.clients",
    "classify": "cloudrig_gcp.errors",
    "map_error": "cloudrig_gcp.errors",
    "GcpProvider": "cloudrig_gcp.provider",
    "attach": "cloudrig_gcp.transport",
}

__all__ = [
    "ComputeClients",
    "GcpAccountSettings",
    "GcpLoadBalancerSettings",
    "GcpProvider",
    "GcpSecurityGroupSettings",
    "GcpServerGroupSettings",
    "attach",
    "classify",
    "map_error",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
