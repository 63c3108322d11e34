"""The template passes the conformance kit against the example cloud, over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from example_cloud import ExampleCloud

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig_example.plugin import DESCRIPTOR
from cloudrig_example.provider import ExampleProvider


class TestExampleProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(
        self, example_cloud: ExampleCloud, make_provider: Callable[..., ExampleProvider]
    ) -> ConformanceTarget:
        provider = make_provider(example_cloud)
        return ConformanceTarget(
            provider=provider,
            descriptor=DESCRIPTOR,
            region="eu-west",
            artifact="example-image-1",
            spec_settings={"instance_type": "small"},
            load_balancer_settings={"algorithm": "round-robin"},
            settle=lambda: time.sleep(0.05),  # instances boot in real time (0.2 s here)
            timeout=10.0,
            teardown=provider.client.close,
        )
