"""The Lambda provider passes the conformance kit on moto server, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig_lambda.plugin import DESCRIPTOR

pytestmark = pytest.mark.moto


class TestLambdaProvider(ConformanceSuite):
    @pytest.fixture
    def conformance_target(
        self,
        make_lambda_provider: Callable[..., Any],
        lambda_role: str,
        code_zip: Callable[[str], str],
    ) -> ConformanceTarget:
        return ConformanceTarget(
            provider=make_lambda_provider(),
            descriptor=DESCRIPTOR,
            region="us-east-1",
            artifact=code_zip("def handler(event, context):\n    return event\n"),
            spec_settings={"role": lambda_role},
            timeout=10.0,
            capacity=1,  # a version is one unit: Lambda scales it itself
        )
