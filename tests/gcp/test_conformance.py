"""The GCP provider passes the conformance kit on the Compute REST emulator, through the real
google-cloud-compute REST clients over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig_gcp.plugin import DESCRIPTOR

from .conftest import IMAGE, REGION, fast_boot

pytestmark = pytest.mark.gcp


class TestGcpProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(
        self, make_gcp_provider: Callable[..., Any], gcp_compute: Any
    ) -> ConformanceTarget:
        fast_boot(gcp_compute)  # VMs boot in 0.2 s instead of 2 s: the kit waits on real time
        return ConformanceTarget(
            provider=make_gcp_provider(),
            descriptor=DESCRIPTOR,
            region=REGION,
            artifact=IMAGE,
            spec_settings={"machine_type": "e2-small"},
            settle=lambda: time.sleep(0.1),
            timeout=20.0,
        )
