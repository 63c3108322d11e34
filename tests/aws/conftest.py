"""AWS provider tests: ``AwsProvider`` against moto in server mode, over real HTTP.

``AWS`` is the account the ``Rig`` tests connect (``AWS.connect(tmp, {"endpoint_url": url})``).
Fixtures:
- ``aws_env``: dummy credentials as the environment variables the account settings reference;
- ``make_aws_provider(endpoint_url=None, limiter=None, **settings)``: an ``AwsProvider`` for the
  moto server (or for a FaultProxy in front of it), with its own limiter unless one is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limiter
from support.aws.accounts import (  # noqa: F401  (the AWS tests import these from here)
    ACCOUNT,
    AMI_V1,
    AMI_V2,
    AWS,
    CREDENTIALS,
    KEY_ENV,
    REGION,
    SECRET_ENV,
    ZONES,
)
from support.rig import fast_limits


def account_settings(endpoint_url: str, **extra: Any) -> Any:
    from cloudrig_aws import AwsAccountSettings

    values: dict[str, Any] = {
        "regions": [REGION],
        **CREDENTIALS,
        "endpoint_url": endpoint_url,
    }
    return AwsAccountSettings.model_validate(values | extra)


@pytest.fixture
def make_aws_provider(moto_aws: Any, aws_env: None) -> Callable[..., Any]:
    from cloudrig_aws import AwsProvider

    def make(
        endpoint_url: str | None = None,
        limiter: Limiter | None = None,
        account: str = "aws-test",
        **settings: Any,
    ) -> Any:
        context = ProviderContext(
            account=account,
            settings=account_settings(endpoint_url or moto_aws.url, **settings),
            limiter=limiter or Limiter(fast_limits()),
        )
        provider = AwsProvider(context)
        return provider

    return make


@pytest.fixture(autouse=True)
def _strict_aws(strict_aws: Any) -> Any:
    """Every test here runs on the strict AWS target (tests/support/aws/strict.py)."""
    return strict_aws
