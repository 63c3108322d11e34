"""The ECS provider passes the conformance kit on moto server (with the ECS task model)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig_ecs.plugin import DESCRIPTOR

from .conftest import IMAGE_V1

pytestmark = pytest.mark.moto


class TestEcsProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self, make_ecs_provider: Callable[..., Any]) -> ConformanceTarget:
        return ConformanceTarget(
            provider=make_ecs_provider(),
            descriptor=DESCRIPTOR,
            region="us-east-1",
            artifact=IMAGE_V1,
            settle=lambda: time.sleep(0.1),
            timeout=10.0,
        )
