"""Account settings validation, import hygiene (no boto3 on listing), the throttling classifier
and the error mapping — the public API cloudrig-ecs and cloudrig-lambda build on."""

from __future__ import annotations

import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pydantic import ValidationError

from cloudrig import Conflict, InvalidSpec, NotFound, PermissionDenied, ProviderFailure, Throttled
from cloudrig.ratelimit import AnswerClass, RateLimited, Verdict
from cloudrig_aws import AwsAccountSettings, classify, map_error


def client_error(code: str, status: int, message: str = "m", **headers: str) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
    }
    return ClientError(response, "SomeOperation")  # type: ignore[arg-type]


def test_static_keys_are_secret_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K", "AKIAEXAMPLE")
    monkeypatch.setenv("S", "very-secret")
    s = AwsAccountSettings(regions=("us-east-1",), access_key_id="env:K", secret_access_key="env:S")
    assert s.secret_access_key is not None
    assert s.secret_access_key.get_secret_value() == "very-secret"
    assert "very-secret" not in repr(s)
    with pytest.raises(ValidationError, match="literal secrets are not accepted"):
        AwsAccountSettings(regions=("us-east-1",), access_key_id="AKIA", secret_access_key="x")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"access_key_id": "env:K"}, "go together"),
        ({"profile": "p", "access_key_id": "env:K", "secret_access_key": "env:K"}, "not both"),
        ({"external_id": "env:K"}, "only used with role_arn"),
        ({"role_arn": "arn:aws:iam::12:role/x"}, "IAM role ARN"),
        ({"account_id": "12345"}, "pattern"),
    ],
)
def test_invalid_settings_name_the_problem(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], message: str
) -> None:
    monkeypatch.setenv("K", "k")
    with pytest.raises(ValidationError, match=message):
        AwsAccountSettings.model_validate({"regions": ["us-east-1"], **values})


def test_account_id_known_from_role_arn_without_a_call() -> None:
    s = AwsAccountSettings(regions=("eu-west-1",), role_arn="arn:aws:iam::210987654321:role/cd")
    assert s.known_account_id() == "210987654321"
    assert AwsAccountSettings(regions=("eu-west-1",)).known_account_id() is None


def test_listing_and_settings_import_no_boto3() -> None:
    code = (
        "import sys, cloudrig_aws, cloudrig_aws.plugin, cloudrig_aws.settings\n"
        "assert cloudrig_aws.plugin.DESCRIPTOR.name == 'aws'\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
        "cloudrig_aws.ClientFactory\n"
        "print('boto3' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"], out.stdout + out.stderr


@pytest.mark.parametrize(
    "code",
    [
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
    ],
)
def test_throttling_codes_are_throttled(code: str) -> None:
    verdict = classify(client_error(code, 400))
    assert isinstance(verdict, AnswerClass)
    assert verdict.verdict is Verdict.THROTTLED
    assert isinstance(map_error(client_error(code, 400), "Op"), Throttled)


def test_any_429_is_throttled_with_retry_after() -> None:
    verdict = classify(client_error("Whatever", 429, **{"retry-after": "3"}))
    assert isinstance(verdict, AnswerClass)
    assert (verdict.verdict, verdict.retry_after) == (Verdict.THROTTLED, 3.0)
    mapped = map_error(client_error("Whatever", 429, **{"retry-after": "3"}), "Op")
    assert isinstance(mapped, Throttled)
    assert mapped.retry_after == 3.0


@pytest.mark.parametrize(
    ("outcome", "verdict"),
    [
        (client_error("InternalFailure", 500), Verdict.TRANSIENT),
        (client_error("ServiceUnavailable", 503), Verdict.TRANSIENT),
        (client_error("ValidationError", 400), Verdict.PERMANENT),
        (EndpointConnectionError(endpoint_url="http://x"), Verdict.TRANSIENT),
        (ReadTimeoutError(endpoint_url="http://x"), Verdict.TRANSIENT),
        (RateLimited("b", 1.0), Verdict.PERMANENT),
        ({"ResponseMetadata": {"HTTPStatusCode": 200}}, Verdict.OK),
    ],
)
def test_classifier(outcome: object, verdict: Verdict) -> None:
    got = classify(outcome)
    assert (got.verdict if isinstance(got, AnswerClass) else got) is verdict


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("TargetGroupNotFound", 400), NotFound),
        (client_error("InvalidGroup.NotFound", 400), NotFound),
        (client_error("ValidationError", 400, "AutoScalingGroup name not found - x"), NotFound),
        (client_error("AlreadyExists", 400), Conflict),
        (client_error("InvalidLaunchTemplateName.AlreadyExistsException", 400), Conflict),
        (client_error("ResourceInUse", 400), Conflict),
        (client_error("DependencyViolation", 400), Conflict),
        (client_error("AccessDenied", 403), PermissionDenied),
        (client_error("UnauthorizedOperation", 403), PermissionDenied),
        (client_error("ValidationError", 400, "MinSize must be ..."), InvalidSpec),
        (client_error("InvalidParameterValue", 400), InvalidSpec),
        (client_error("InternalFailure", 500), ProviderFailure),
        (client_error("Teapot", 418), ProviderFailure),
        (EndpointConnectionError(endpoint_url="http://x"), ProviderFailure),
        (RateLimited("b", 2.0), Throttled),
    ],
)
def test_error_mapping(error: Exception, expected: type[Exception]) -> None:
    mapped = map_error(error, "DescribeThings", account="a", resource="r")
    assert type(mapped) is expected
    assert (mapped.provider, mapped.account, mapped.resource) == ("aws", "a", "r")
