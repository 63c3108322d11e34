"""The Kubernetes provider passes the strategy kit (cloudrig.testing.strategies) on a real
kube-apiserver with the kubelet simulator: the built-in strategies through the real engine,
observed from the provider's own reads (traffic follows capacity here)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.strategies import StrategySuite
from cloudrig_kubernetes.plugin import DESCRIPTOR

pytestmark = pytest.mark.kube


class TestKubernetesStrategies(StrategySuite):
    @pytest.fixture
    def conformance_target(
        self, make_kube_provider: Callable[..., Any], kube_namespace: str, kubelet: Any
    ) -> ConformanceTarget:
        return ConformanceTarget(
            provider=make_kube_provider(),
            descriptor=DESCRIPTOR,
            region=kube_namespace,
            artifact="registry.example/app:1.0",
            spec_settings={"ports": [8080]},
            settle=lambda: time.sleep(0.2),
            timeout=30.0,
        )
