"""The Lambda provider passes the conformance kit on moto server, over real HTTP, in both
capacity modes.

- ``TestLambdaProvider``: the default mode, on demand (a version is one instance, capacity 1).
  The kit's own ``test_resize`` resizes to ``desired`` 3, which a version on demand refuses by
  design (``InvalidSpec``: more than one unit is provisioned concurrency, paid for, asked for
  explicitly); that one check is replaced by the on-demand resize contract (1 → 0 → 1 with the
  instances following, and 3 refused with the field named). Every other check is the kit's.
- ``TestLambdaProvisionedConcurrency``: ``settings.provisioned_concurrency``, every check of the
  kit including its resize to 3, against the provisioned concurrency emulation at the proxy
  (moto lacks the API; environments turn READY on the first read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import Capacity, InvalidSpec
from cloudrig.testing import ConformanceTarget
from cloudrig.testing.conformance import ConformanceKit, ConformanceSuite
from cloudrig_lambda.plugin import DESCRIPTOR

pytestmark = pytest.mark.moto

CODE = "def handler(event, context):\n    return event\n"


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
            artifact=code_zip(CODE),
            spec_settings={"role": lambda_role},
            timeout=10.0,
            capacity=1,  # on demand, a version is one unit: Lambda scales it itself
        )

    def test_resize(self, conformance: ConformanceKit) -> None:
        """On demand, within 0..1: the kit's resize to 3 is the provisioned class's."""
        kit = conformance
        request = kit.request(kit.moniker(stack="resize"), capacity=Capacity.fixed(1))
        kit.create(request)
        for capacity in (Capacity(min=0, desired=0, max=1), Capacity(min=0, desired=1, max=4)):
            kit.call("resize_server_group", kit.region, request.name, capacity)
            group = kit.get(request.name)
            kit.equal("capacity after resize", group.capacity, capacity)
            kit.equal("instances after resize", len(group.instances), capacity.desired)
        error = kit.expect(
            InvalidSpec, "resize_server_group", kit.region, request.name, kit.capacity(3)
        )
        assert "capacity.desired" in str(error)
        assert "provisioned_concurrency" in str(error)


class TestLambdaProvisionedConcurrency(ConformanceSuite):
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
            artifact=code_zip(CODE),
            spec_settings={"role": lambda_role, "provisioned_concurrency": True},
            timeout=10.0,
            capacity=2,  # two provisioned environments, two instances
        )
