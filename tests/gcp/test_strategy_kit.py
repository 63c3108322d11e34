"""The GCP provider passes the strategy kit (cloudrig.testing.strategies) on the Compute REST
emulator: the built-in strategies through the real engine, observed from the provider's own reads."""

from __future__ import annotations

import pytest

from cloudrig.testing.strategies import StrategySuite

from . import test_conformance

pytestmark = pytest.mark.gcp


class TestGcpStrategies(StrategySuite):
    conformance_target = test_conformance.TestGcpProvider.conformance_target
