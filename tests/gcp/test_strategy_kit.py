"""The GCP provider passes the strategy kit (cloudrig.testing.strategies) on the Compute REST
emulator: the built-in strategies through the real engine, observed from the provider's own reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.strategies import StrategySuite
from cloudrig_gcp.plugin import DESCRIPTOR

from .conftest import IMAGE, REGION, fast_boot

pytestmark = pytest.mark.gcp


class TestGcpStrategies(StrategySuite):
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
