"""AWS answers in cloudrig's terms: the throttling classifier and the error mapping.

Both are public API (``cloudrig-ecs`` and ``cloudrig-lambda`` use them for their services).

=======================================================  ==================  ==========================
AWS answers                                              cloudrig raises     the limiter's verdict
=======================================================  ==================  ==========================
``Throttling``, ``ThrottlingException``,                 ``Throttled``       THROTTLED (rate halves)
``RequestLimitExceeded``, ``TooManyRequestsException``,
``RequestThrottled``, ``SlowDown``, …, any HTTP 429
``*NotFound*``, ``NoSuchEntity``, ``ResourceNotFound…``  ``NotFound``        PERMANENT
``AlreadyExists``, ``*Duplicate*``, ``ResourceInUse``,   ``Conflict``        PERMANENT
``DependencyViolation``, ``*InUse*``, ``ScalingActivityInProgress``
``AccessDenied*``, ``UnauthorizedOperation``,            ``PermissionDenied``  PERMANENT
``*InvalidClientTokenId``, ``AuthFailure``, ``ExpiredToken``, HTTP 401/403
``ValidationError``, ``Invalid*``, ``MissingParameter``  ``InvalidSpec``     PERMANENT
other 4xx                                                ``ProviderFailure`` PERMANENT
5xx, unparseable answer, timeout, connection error       ``ProviderFailure`` TRANSIENT
=======================================================  ==================  ==========================

Auto Scaling reports a missing group as ``ValidationError`` with the message "... not found", so
the mapping reads the message there (``not_found_message``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError  # type: ignore[import-untyped]

from cloudrig import (
    Conflict,
    InvalidSpec,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderFailure,
    Throttled,
)
from cloudrig.ratelimit import AnswerClass, RateLimited, Verdict

PROVIDER = "aws"

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_PERMISSION = (
    "AccessDenied",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "AuthFailure",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "OptInRequired",
    "Blocked",
)
_CONFLICT = (
    "AlreadyExists",
    "Duplicate",
    "ResourceInUse",
    "InUse",
    "DependencyViolation",
    "ScalingActivityInProgress",
    "IncorrectState",
    "Conflict",
)


def _error_of(outcome: Any) -> tuple[str, int, str] | None:
    """(code, HTTP status, message) of an AWS error answer, or None for a success."""
    if isinstance(outcome, ClientError):
        response: Mapping[str, Any] = outcome.response
    elif isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[1], Mapping):
        response = outcome[1]  # botocore's (http_response, parsed) as hooks see it
    elif isinstance(outcome, Mapping):
        response = outcome
    else:
        return None
    error = response.get("Error") or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    code = str(error.get("Code") or "")
    if not code and status < 400:
        return None
    return code, status, str(error.get("Message") or "")


def classify(outcome: Any) -> Verdict | AnswerClass:
    """The limiter's view of one attempt's outcome (an answer, or the exception it raised)."""
    if isinstance(outcome, RateLimited):
        return Verdict.PERMANENT
    if isinstance(
        outcome, ResponseParserError | ReadTimeoutError | ConnectionError | EndpointConnectionError
    ):
        return Verdict.TRANSIENT
    if isinstance(outcome, NoCredentialsError | ProfileNotFound):
        return Verdict.PERMANENT
    if isinstance(outcome, BotoCoreError):
        return Verdict.TRANSIENT
    if isinstance(outcome, BaseException) and not isinstance(outcome, ClientError):
        return Verdict.PERMANENT
    error = _error_of(outcome)
    if error is None:
        return Verdict.OK
    code, status, _ = error
    if code in THROTTLING_CODES or status == 429:
        return AnswerClass(Verdict.THROTTLED, retry_after=_retry_after(outcome))
    if status >= 500 or code in (
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "Unavailable",
        "RequestTimeout",
    ):
        return Verdict.TRANSIENT
    return Verdict.PERMANENT


def _retry_after(outcome: Any) -> float | None:
    response = outcome.response if isinstance(outcome, ClientError) else None
    headers = (response or {}).get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = str(headers.get("retry-after", "")).strip()
    return float(value) if value.isdigit() else None


def not_found_message(message: str) -> bool:
    return "not found" in message.lower() or "does not exist" in message.lower()


def map_error(
    exc: BaseException,
    what: str,
    *,
    account: str | None = None,
    resource: str | None = None,
) -> ProviderError:
    """The cloudrig error for an exception from a boto3 call; ``what`` names the call.

    The caller raises it ``from exc`` so the original stays as ``__cause__``. Messages carry the
    AWS error code and message, never request headers (where signatures travel)."""
    where: dict[str, str | None] = {"provider": PROVIDER, "account": account, "resource": resource}
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, RateLimited):
        return Throttled(f"{what}: {exc}", retry_after=exc.retry_after, **where)
    if isinstance(exc, NoCredentialsError):
        return PermissionDenied(f"{what}: no AWS credentials found", **where)
    if isinstance(exc, ProfileNotFound):
        return PermissionDenied(f"{what}: {exc}", **where)
    error = _error_of(exc)
    if error is None:
        return ProviderFailure(f"{what}: {type(exc).__name__}: {exc}", **where)
    code, status, message = error
    text = f"{what}: {code or 'HTTP ' + str(status)}: {message}".rstrip(": ")
    verdict = classify(exc)
    if isinstance(verdict, AnswerClass) and verdict.verdict is Verdict.THROTTLED:
        return Throttled(text, retry_after=verdict.retry_after, **where)
    if (
        "NotFound" in code
        or code in ("NoSuchEntity", "ResourceNotFoundException")
        or (code == "ValidationError" and not_found_message(message))
    ):
        return NotFound(text, **where)
    if any(word in code for word in _PERMISSION) or status in (401, 403):
        return PermissionDenied(text, **where)
    if any(word in code for word in _CONFLICT):
        return Conflict(text, **where)
    if status >= 500:
        return ProviderFailure(text, **where)
    if code == "ValidationError" or code.startswith("Invalid") or code == "MissingParameter":
        return InvalidSpec(text, **where)
    return ProviderFailure(text, **where)
