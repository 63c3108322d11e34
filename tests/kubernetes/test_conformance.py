"""The Kubernetes provider passes the conformance kit on a real kube-apiserver (1.20).

Pods become Running and Ready through the kubelet simulator (no kubelet or scheduler runs);
ReplicaSet status, garbage collection and foreground deletion are the real controllers'.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig_kubernetes.plugin import DESCRIPTOR

pytestmark = pytest.mark.kube


class TestKubernetesProvider(ConformanceSuite):
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
