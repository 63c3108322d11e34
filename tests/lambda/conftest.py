"""Lambda provider tests: ``LambdaProvider`` against moto in server mode, over real HTTP.

moto runs Lambda without Docker here (``support.aws`` switches it before anything is created):
``invoke`` echoes the payload, and canned answers can be queued.

Fixtures:
- ``lambda_role``: the ARN of an execution role created in moto (Lambda needs it to exist);
- ``code_zip(body)``: a path to a zip holding ``index.py`` with ``body`` (distinct code per call);
- ``lambda_endpoint``: a FaultProxy in front of moto with the provisioned concurrency emulation
  (``support.aws.provisioned_concurrency``: moto lacks the API) — ``.url``, ``.proxy`` (add
  faults, read counts), ``.provisioned`` (the model: drive IN_PROGRESS → READY / FAILED);
- ``make_lambda_provider(endpoint_url=None, limiter=None, logger=None, **settings)``: a ``LambdaProvider``
  for ``lambda_endpoint`` (or another endpoint), with its own fast limiter.

Rigs: ``LAMBDA`` (``support.rig.RigFactory``) connects the account ``ACCOUNT`` through the
entry point (``LAMBDA.connect(tmp_path, {"endpoint_url": url})``); ``spec(artifact, role,
**settings)`` is its spec of ``shop-prod`` at one unit (a version on demand).
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudrig import ServerGroupSpec
from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limiter
from support.aws.accounts import CREDENTIALS, REGION
from support.rig import RigFactory, fast_limits

ACCOUNT = "lambda-test"
SETTINGS: dict[str, Any] = {
    "regions": [REGION],
    **CREDENTIALS,
    "account_id": "123456789012",
    "health_poll_interval": 0.2,  # moto answers at once: polls need not wait 2 s (the default)
}
"""The account's settings but its ``endpoint_url`` (the test's moto, or a proxy in front)."""
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


LAMBDA = RigFactory(provider="lambda", account=ACCOUNT, settings=SETTINGS, headroom=0)
V1 = "def handler(event, context):\n    return {'version': 1}\n"
V2 = "def handler(event, context):\n    return {'version': 2}\n"


def spec(artifact: str, role: str, **settings: Any) -> ServerGroupSpec:
    """``shop-prod`` behind ``web`` at one unit (``Capacity.fixed(1)``), run by ``role``."""
    return LAMBDA.spec(REGION, artifact, desired=1, settings={"role": role, **settings})


@dataclass(frozen=True)
class LambdaEndpoint:
    """moto behind a fault-and-count proxy that also answers provisioned concurrency."""

    proxy: Any  # support.proxy.FaultProxy
    provisioned: Any  # support.aws.provisioned_concurrency.ProvisionedConcurrencyModel

    @property
    def url(self) -> str:
        return str(self.proxy.url)


@pytest.fixture
def lambda_endpoint(moto_aws: Any, fault_proxy: Callable[..., Any]) -> LambdaEndpoint:
    from support.aws.provisioned_concurrency import ProvisionedConcurrencyModel

    proxy = fault_proxy(moto_aws.url)
    return LambdaEndpoint(proxy, ProvisionedConcurrencyModel(moto_aws).install(proxy))


@pytest.fixture
def lambda_env(aws_env: None) -> None:
    """The credentials the account references (``support.aws``'s ``aws_env``)."""


@pytest.fixture
def lambda_role(moto_aws: Any) -> str:
    iam = moto_aws.client("iam")
    role = iam.create_role(RoleName="cloudrig-fn", AssumeRolePolicyDocument=json.dumps(TRUST))
    moto_aws.clear_requests()
    return str(role["Role"]["Arn"])


@pytest.fixture
def code_zip(tmp_path: Path) -> Callable[[str], str]:
    def make(body: str = "def handler(event, context):\n    return event\n") -> str:
        path = tmp_path / f"code-{abs(hash(body))}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            # A fixed timestamp: the same body makes the same bytes (and CodeSha256) whenever
            # it is zipped, not only within one zip clock tick of 2 s.
            archive.writestr(zipfile.ZipInfo("index.py", date_time=(2020, 1, 1, 0, 0, 0)), body)
        return str(path)

    return make


def account_settings(endpoint_url: str, **extra: Any) -> Any:
    from cloudrig_lambda import LambdaAccountSettings

    values = SETTINGS | {"endpoint_url": endpoint_url}
    return LambdaAccountSettings.model_validate(values | extra)


@pytest.fixture
def make_lambda_provider(lambda_endpoint: LambdaEndpoint, lambda_env: None) -> Callable[..., Any]:
    from cloudrig_lambda import LambdaProvider

    def make(
        endpoint_url: str | None = None,
        limiter: Limiter | None = None,
        account: str = ACCOUNT,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> Any:
        context = ProviderContext(
            account=account,
            settings=account_settings(endpoint_url or lambda_endpoint.url, **settings),
            limiter=limiter or Limiter(fast_limits()),
            logger=logger or logging.getLogger("cloudrig.provider.lambda.test"),
        )
        return LambdaProvider(context)

    return make


@pytest.fixture(autouse=True)
def _strict_aws(strict_aws: Any) -> Any:
    """Every test here runs on the strict AWS target (tests/support/aws/strict.py)."""
    return strict_aws
