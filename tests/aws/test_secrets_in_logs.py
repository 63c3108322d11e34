"""Secrets never reach a log, at any level: a red/black with AssumeRole on moto, every logger at
DEBUG (botocore's, urllib3's, cloudrig's), finds none of the configured secret values and none of
the temporary credentials AWS handed out, in messages or tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig.strategies import RedBlack

from .conftest import AMI_V1, AMI_V2, AWS, KEY_ENV, REGION, ZONES

pytestmark = pytest.mark.moto

SECRET = "MARKER-secret-access-key-7f3a9c"
EXTERNAL_ID = "MARKER-external-id-51d2e8"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_deploy_at_debug_logs_no_secret(
    moto_aws: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, debug_log: io.StringIO
) -> None:
    monkeypatch.setenv(KEY_ENV, "AKIAMARKERKEYID00001")
    monkeypatch.setenv("CLOUDRIG_TEST_AWS_SECRET", SECRET)
    monkeypatch.setenv("CLOUDRIG_TEST_EXTERNAL_ID", EXTERNAL_ID)
    rig = AWS.connect(
        tmp_path,
        {
            "endpoint_url": moto_aws.url,
            "role_arn": "arn:aws:iam::123456789012:role/deployer",
            "external_id": "env:CLOUDRIG_TEST_EXTERNAL_ID",
        },
    )
    AWS.upsert_web(rig, REGION)
    spec = ServerGroupSpec(
        moniker=Moniker(app="shop", stack="prod"),
        account=AWS.account,
        region=REGION,
        zones=ZONES,
        artifact=AMI_V1,
        capacity=Capacity(min=1, desired=1, max=2),
        load_balancers=("web",),
    )
    rig.deploy(spec, RedBlack()).raise_for_status()
    rig.deploy(spec.model_copy(update={"artifact": AMI_V2}), RedBlack()).raise_for_status()
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        logging.getLogger("cloudrig.test").exception("a traceback mentioning the secret")

    log = debug_log.getvalue()
    assert "botocore" in log, "botocore logged at DEBUG (the test would prove nothing otherwise)"
    assert "X-Amz-Security-Token" in log, "the assumed role's token was sent and logged, masked"
    assert SECRET not in log
    assert EXTERNAL_ID not in log
    assert "ExternalId" in log, "the AssumeRole parameters were logged, masked"
    creds = _assumed_credentials(moto_aws)
    assert creds, "moto handed out temporary credentials"
    for value in creds:
        assert value not in log


def _assumed_credentials(moto: Any) -> list[str]:
    """The temporary SecretAccessKey/SessionToken moto issued (read from its backend)."""
    from moto.sts.models import sts_backends

    found = []
    for account in sts_backends.values():
        for backend in account.values():
            for role in getattr(backend, "assumed_roles", []):
                found += [role.secret_access_key, role.session_token]
    return [v for v in found if v]
