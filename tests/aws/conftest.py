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
from support.rig import RigFactory, fast_limits

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")
KEY_ENV, SECRET_ENV = "CLOUDRIG_TEST_AWS_KEY_ID", "CLOUDRIG_TEST_AWS_SECRET"
ACCOUNT = "aws-test"
AMI_V1, AMI_V2 = "ami-00000001", "ami-00000002"
AWS = RigFactory(
    provider="aws",
    account=ACCOUNT,
    settings={
        "regions": [REGION],
        "access_key_id": f"env:{KEY_ENV}",
        "secret_access_key": f"env:{SECRET_ENV}",
    },
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, "testing")


def account_settings(endpoint_url: str, **extra: Any) -> Any:
    from cloudrig_aws import AwsAccountSettings

    values: dict[str, Any] = {
        "regions": [REGION],
        "access_key_id": f"env:{KEY_ENV}",
        "secret_access_key": f"env:{SECRET_ENV}",
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
