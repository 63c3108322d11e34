"""ECS provider tests: ``EcsProvider`` against moto in server mode, over real HTTP, with the test
support's ECS task model (tasks PENDING → RUNNING, container health, target registration).

``ECS`` is the account the ``Rig`` tests connect (``ECS.connect(tmp, {"endpoint_url": url})``),
found through the ``cloudrig-ecs`` entry point like any installed provider.
Fixtures:
- ``ecs_cluster``: the ECS cluster ``cloudrig`` created in moto (its name);
- ``make_ecs_provider(endpoint_url=None, limiter=None, **settings)``: an ``EcsProvider`` for the
  moto server (or a FaultProxy in front of it), with its own fast limiter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limiter
from support.aws.accounts import CREDENTIALS, REGION
from support.rig import RigFactory, fast_limits

CLUSTER = "cloudrig"
IMAGE_V1, IMAGE_V2 = "public.ecr.aws/shop/web:1", "public.ecr.aws/shop/web:2"
ACCOUNT = "ecs-test"
ECS = RigFactory(
    provider="ecs",
    account=ACCOUNT,
    settings={
        "regions": [REGION],
        **CREDENTIALS,
        "account_id": "123456789012",
        "cluster": CLUSTER,
        # The model starts a task in 0.2 s (support.aws.ecs_services.Timing): polls need not
        # wait 2 s (the default); tests/ecs/test_call_counts.py measures the default.
        "health_poll_interval": 0.3,
    },
)


@pytest.fixture
def ecs_env(aws_env: None) -> None:
    """The credentials the account references (``support.aws``'s ``aws_env``)."""


@pytest.fixture
def ecs_cluster(moto_aws: Any) -> str:
    moto_aws.client("ecs").create_cluster(clusterName=CLUSTER)
    moto_aws.clear_requests()
    return CLUSTER


def account_settings(endpoint_url: str, **extra: Any) -> Any:
    from cloudrig_ecs import EcsAccountSettings

    return EcsAccountSettings.model_validate(
        {**ECS.settings, "endpoint_url": endpoint_url, **extra}
    )


@pytest.fixture
def make_ecs_provider(moto_aws: Any, ecs_env: None, ecs_cluster: str) -> Callable[..., Any]:
    from cloudrig_ecs import EcsProvider

    def make(
        endpoint_url: str | None = None,
        limiter: Limiter | None = None,
        account: str = ACCOUNT,
        **settings: Any,
    ) -> Any:
        context = ProviderContext(
            account=account,
            settings=account_settings(endpoint_url or moto_aws.url, **settings),
            limiter=limiter or Limiter(fast_limits()),
        )
        return EcsProvider(context)

    return make


@pytest.fixture(autouse=True)
def _strict_aws(strict_aws: Any) -> Any:
    """Every test here runs on the strict AWS target (tests/support/aws/strict.py)."""
    return strict_aws
