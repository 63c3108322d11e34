"""Account settings validate before any call; the plugin module imports no Google library;
Compute answers map to cloudrig's errors and the limiter's verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import Conflict, InvalidSpec, NotFound, PermissionDenied, Throttled
from cloudrig.ratelimit import AnswerClass, Verdict


def test_plugin_and_settings_import_no_google_library() -> None:
    code = (
        "import sys, cloudrig_gcp, cloudrig_gcp.plugin;"
        "print(sorted(m for m in sys.modules if m.startswith('google')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_settings_secrets_are_references(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudrig_gcp import GcpAccountSettings

    monkeypatch.setenv("SA_JSON", json.dumps({"private_key": "s3cr3t-key"}))
    settings = GcpAccountSettings(
        project="my-project-42", regions=("us-central1",), service_account_json="env:SA_JSON"
    )
    assert "s3cr3t" not in repr(settings), "the key never shows in a repr"
    assert settings.service_account_json is not None
    assert "s3cr3t" in settings.service_account_json.get_secret_value()
    with pytest.raises(ValidationError, match="secret reference"):
        GcpAccountSettings(
            project="my-project-42", regions=("us-central1",), service_account_json="{...}"
        )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"project": "Bad_Project"}, "project"),
        ({"anonymous": True}, "api_endpoint"),
        ({"regions": ()}, "regions"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_settings_refuse_what_gce_would(values: dict[str, Any], message: str) -> None:
    from cloudrig_gcp import GcpAccountSettings

    base: dict[str, Any] = {"project": "my-project-42", "regions": ("us-central1",)}
    with pytest.raises(ValidationError, match=message):
        GcpAccountSettings.model_validate(base | values)


def test_names_follow_gce_rules() -> None:
    from cloudrig import Moniker
    from cloudrig_gcp.naming import NAMING

    assert NAMING.server_group_name(Moniker(app="shop", stack="prod", sequence=3)) == (
        "shop-prod-v003"
    )
    mapped = NAMING.server_group_name(Moniker(app="Chéckout" * 10, stack="PROD", sequence=1))
    assert len(mapped) <= 63
    assert mapped == mapped.lower()
    assert mapped[0].isalpha()


class _Response:
    def __init__(self, status: int, reason: str = "") -> None:
        self.status_code = status
        self.headers = {"Retry-After": "2"} if status == 429 else {}
        self.text = json.dumps({"error": {"code": status, "errors": [{"reason": reason}]}})


@pytest.mark.parametrize(
    ("status", "reason", "verdict"),
    [
        (200, "", Verdict.OK),
        (429, "rateLimitExceeded", Verdict.THROTTLED),
        (403, "rateLimitExceeded", Verdict.THROTTLED),
        (403, "forbidden", Verdict.PERMANENT),
        (403, "quotaExceeded", Verdict.PERMANENT),  # a resource quota, not a rate limit
        (503, "backendError", Verdict.TRANSIENT),
        (404, "notFound", Verdict.PERMANENT),
    ],
)
def test_classifier(status: int, reason: str, verdict: Verdict) -> None:
    from cloudrig_gcp import classify

    got = classify(_Response(status, reason))
    got = got if isinstance(got, AnswerClass) else AnswerClass(got)
    assert got.verdict is verdict
    if status == 429:
        assert got.retry_after == 2.0


def test_connection_errors_are_transient() -> None:
    import requests

    from cloudrig_gcp import classify

    assert classify(requests.ConnectionError("reset")) is Verdict.TRANSIENT


@pytest.mark.parametrize(
    ("status", "reason", "error"),
    [
        (404, "notFound", NotFound),
        (409, "alreadyExists", Conflict),
        (412, "conditionNotMet", Conflict),
        (400, "resourceInUseByAnotherResource", Conflict),
        (400, "invalid", InvalidSpec),
        (403, "forbidden", PermissionDenied),
        (429, "rateLimitExceeded", Throttled),
    ],
)
def test_error_mapping(status: int, reason: str, error: type[Exception]) -> None:
    from google.api_core import exceptions

    from cloudrig_gcp import map_error

    exc = exceptions.from_http_status(status, "boom", errors=[{"reason": reason}])
    mapped = map_error(exc, "insert", account="a", resource="r")
    assert type(mapped) is error
    assert mapped.provider == "gcp"


def test_new_settings_refuse_what_gce_would() -> None:
    """Scaling without a target, and Traffic Director's scheme on a regional service, are
    refused when the spec is validated, naming the field."""
    from cloudrig_gcp import GcpLoadBalancerSettings, GcpServerGroupSettings

    with pytest.raises(ValidationError, match="cpu_target or load_balancing_target"):
        GcpServerGroupSettings.model_validate({"autoscaling": {"mode": "ONLY_SCALE_OUT"}})
    with pytest.raises(ValidationError, match="cpu_target"):
        GcpServerGroupSettings.model_validate({"autoscaling": {"cpu_target": 1.5}})
    assert GcpServerGroupSettings.model_validate({"autoscaling": {"mode": "OFF"}}).autoscaling
    with pytest.raises(ValidationError, match="INTERNAL_SELF_MANAGED"):
        GcpLoadBalancerSettings.model_validate(
            {"scope": "regional", "load_balancing_scheme": "INTERNAL_SELF_MANAGED"}
        )
