"""The AWS (EC2) provider passes the strategy kit (cloudrig.testing.strategies) on moto server: the
built-in strategies through the real engine, observed from the provider's own reads, on the
conformance kit's target (the same fixture, so the two kits check one configuration) — with the
kit's crash matrix on: red/black killed right after each of its requests, then resumed."""

from __future__ import annotations

import pytest

from cloudrig.testing import StrategyOptions
from cloudrig.testing.strategies import StrategySuite

from . import test_conformance

pytestmark = pytest.mark.moto


class TestAwsStrategies(StrategySuite):
    conformance_target = test_conformance.TestAwsProvider.conformance_target

    @pytest.fixture
    def strategy_options(self) -> StrategyOptions:
        return StrategyOptions(crash_matrix=True)
