"""The AWS (EC2) provider passes the strategy kit (cloudrig.testing.strategies) on moto server: the
built-in strategies through the real engine, observed from the provider's own reads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.strategies import StrategySuite
from cloudrig_aws.plugin import DESCRIPTOR

pytestmark = pytest.mark.moto


class TestAwsStrategies(StrategySuite):
    @pytest.fixture
    def conformance_target(self, make_aws_provider: Callable[..., Any]) -> ConformanceTarget:
        return ConformanceTarget(
            provider=make_aws_provider(),
            descriptor=DESCRIPTOR,
            region="us-east-1",
            artifact="ami-12c6146b",
            spec_settings={"instance_type": "t3.micro"},
            settle=lambda: time.sleep(0.1),
            timeout=20.0,
        )
