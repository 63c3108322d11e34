"""The Kubernetes provider passes the strategy kit (cloudrig.testing.strategies) on a real
kube-apiserver with the kubelet simulator: the built-in strategies through the real engine,
observed from the provider's own reads (traffic follows capacity here)."""

from __future__ import annotations

import pytest

from cloudrig.testing.strategies import StrategySuite

from . import test_conformance

pytestmark = pytest.mark.kube


class TestKubernetesStrategies(StrategySuite):
    conformance_target = test_conformance.TestKubernetesProvider.conformance_target
