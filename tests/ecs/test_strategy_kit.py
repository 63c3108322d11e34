"""The ECS provider passes the strategy kit (cloudrig.testing.strategies) on moto server (with the
ECS task model): the built-in strategies through the real engine, observed from the provider's own
reads."""

from __future__ import annotations

import pytest

from cloudrig.testing.strategies import StrategySuite

from . import test_conformance

pytestmark = pytest.mark.moto


class TestEcsStrategies(StrategySuite):
    conformance_target = test_conformance.TestEcsProvider.conformance_target
