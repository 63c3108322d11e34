"""cloudrig provider for GCP Compute: regional managed instance groups behind backend services.

Public API: the settings models (``GcpAccountSettings`` and the spec blocks), the client factory
(``ComputeClients``: compute_v1 REST clients with cloudrig's limiter attached at their HTTP
session, google-api-core retries off, operations waited on this account's own endpoint), the
error mapping (``classify``, ``map_error``) and ``GcpProvider``. Importing this package loads the
settings only; names that need google-cloud-compute load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_gcp.clients import ComputeClients
    from cloudrig_gcp.errors import classify, map_error
    from cloudrig_gcp.provider import GcpProvider
    from cloudrig_gcp.settings import (
        GcpAccountSettings,
        GcpLoadBalancerSettings,
        GcpSecurityGroupSettings,
        GcpServerGroupSettings,
    )
    from cloudrig_gcp.transport import attach

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "ComputeClients",
    "GcpAccountSettings",
    "GcpAutoscaling",
    "GcpLoadBalancerSettings",
    "GcpProvider",
    "GcpSecurityGroupSettings",
    "GcpServerGroupSettings",
    "attach",
    "classify",
    "map_error",
]
