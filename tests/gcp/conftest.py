"""GCP provider tests: ``GcpProvider`` against the Compute REST emulator, over real HTTP, through
the real google-cloud-compute REST clients.

Fixtures:
- ``make_gcp_provider(endpoint=None, limiter=None, **settings)``: a ``GcpProvider`` for the
  emulator (or a FaultProxy in front of it), anonymous credentials, its own limiter unless one
  is given.

``GCP`` connects a ``Rig`` with the GCP account ``ACCOUNT`` (``support.rig.RigFactory``): give it
the emulator's (or a proxy's) endpoint, ``GCP.connect(tmp, {"api_endpoint": url})``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limiter
from support.rig import RigFactory, limits
from support.rig import fast_limits as shared_fast_limits

PROJECT = "cloudrig-test"
REGION = "us-central1"
ACCOUNT = "gcp-test"
IMAGE = "projects/debian-cloud/global/images/family/debian-12"
IMAGE_V1 = "projects/cloudrig-test/global/images/shop-1"
IMAGE_V2 = "projects/cloudrig-test/global/images/shop-2"

gcp_limits = functools.partial(limits, rate=500, burst=50, attempts=3, ttl=0.2)
"""The rig's limits on GCP (``support.rig.limits`` with GCP's budgets); overrides as there."""

GCP = RigFactory(
    provider="gcp",
    account=ACCOUNT,
    settings={
        "project": PROJECT,
        "regions": [REGION],
        "anonymous": True,
        "operation_timeout": 20,
    },
    default_limits=gcp_limits(),
)


def fast_boot(emulator: Any) -> None:
    """VMs RUNNING 0.2 s after they are created (2 s by default), deleted after 0.1 s."""
    emulator.fleet.provisioning_seconds = 0.1
    emulator.fleet.staging_seconds = 0.1
    emulator.fleet.deleting_seconds = 0.1


fast_limits = functools.partial(shared_fast_limits, rate=1000, burst=100)
"""Budgets high enough that tests never wait on the limiter unless they mean to."""


def account_settings(endpoint: str, **extra: Any) -> Any:
    from cloudrig_gcp import GcpAccountSettings

    values: dict[str, Any] = {
        "project": PROJECT,
        "regions": [REGION],
        "anonymous": True,
        "api_endpoint": endpoint,
        "timeout": 10,
        "operation_timeout": 20,
    }
    return GcpAccountSettings.model_validate(values | extra)


@pytest.fixture
def make_gcp_provider(gcp_compute: Any) -> Callable[..., Any]:
    from cloudrig_gcp import GcpProvider

    def make(
        endpoint: str | None = None,
        limiter: Limiter | None = None,
        account: str = ACCOUNT,
        **settings: Any,
    ) -> Any:
        context = ProviderContext(
            account=account,
            settings=account_settings(endpoint or gcp_compute.endpoint, **settings),
            limiter=limiter or Limiter(fast_limits()),
        )
        return GcpProvider(context)

    return make
