"""The reference provider passes the conformance kit, and so do its variants with fewer
capabilities (the checks that need a capability check its absence instead)."""

from __future__ import annotations

import pytest

from cloudrig.provider import Capabilities, NamingPolicy, TrafficSplit
from cloudrig.testing import ConformanceTarget, reference_target
from cloudrig.testing.conformance import ConformanceSuite

LAMBDA_LIKE = Capabilities(
    traffic_split=TrafficSplit.EXACT,
    max_weighted_groups=2,
    baseline_beside_canary=False,
    resizable=False,
    disable_keeps_instances=False,
)
KUBERNETES_LIKE = Capabilities(
    traffic_split=TrafficSplit.CAPACITY_ONLY, baseline_beside_canary=True, efficient_wait=True
)
GCP_LIKE = Capabilities(traffic_split=TrafficSplit.APPROXIMATE, baseline_beside_canary=True)


class TestReferenceProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target()


class TestLambdaLikeVariant(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(
            capabilities=LAMBDA_LIKE,
            naming=NamingPolicy(max_length=64, allowed="a-zA-Z0-9_"),
        )


class TestKubernetesLikeVariant(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=KUBERNETES_LIKE)


class TestGcpLikeVariant(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=GCP_LIKE)
