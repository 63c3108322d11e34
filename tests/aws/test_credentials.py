"""Credentials: a named profile, static keys as secrets, assume-role with an external id — and
the calls that find the account id pass the limiter like every other request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from cloudrig import PermissionDenied
from cloudrig.ratelimit import Limiter

from .conftest import REGION, fast_limits

pytestmark = pytest.mark.moto
ROLE = "arn:aws:iam::123456789012:role/cloudrig-deployer"


def test_assume_role_with_external_id(
    make_aws_provider: Callable[..., Any],
    moto_aws: Any,
    fault_proxy: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUDRIG_TEST_EXTERNAL_ID", "ext-4711")
    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(
        endpoint_url=proxy.url,
        limiter=limiter,
        role_arn=ROLE,
        external_id="env:CLOUDRIG_TEST_EXTERNAL_ID",
    )
    provider.server_groups.list("x", REGION)
    assert proxy.forwarded("AssumeRole") == 1
    assert proxy.forwarded("GetCallerIdentity") == 0, "the account id comes from the role ARN"
    assert provider.clients.account_id == "123456789012"
    assume = next(r for r in moto_aws.requests() if r.operation == "AssumeRole")
    params = parse_qs(assume.body.decode())
    assert params["ExternalId"] == ["ext-4711"]
    assert params["RoleArn"] == [ROLE]
    assert "assumed-role/cloudrig-deployer" in provider.check().identity
    assert proxy.forwarded() == sum(s.admitted for s in limiter.stats().values())


def test_named_profile(
    make_aws_provider: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[deploy]\naws_access_key_id = a\naws_secret_access_key = b\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    provider = make_aws_provider(profile="deploy", access_key_id=None, secret_access_key=None)
    assert provider.check().identity.endswith("(account 123456789012)")
    with pytest.raises(PermissionDenied, match="nope"):
        make_aws_provider(profile="nope", access_key_id=None, secret_access_key=None)
