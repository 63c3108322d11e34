"""Kubernetes answers in cloudrig's terms: the limiter's classifier and the error mapping.

========================================================  ==================  =====================
API server answer                                         cloudrig raises     the limiter's verdict
========================================================  ==================  =====================
429 (priority and fairness / max-in-flight), Retry-After  ``Throttled``       THROTTLED (rate halves)
404                                                       ``NotFound``        PERMANENT
409 ``AlreadyExists``                                     ``Conflict``        PERMANENT
409 ``Conflict`` (stale resourceVersion)                  ``Conflict``        PERMANENT (re-read and
                                                                              retried by
                                                                              ``concurrency``)
401, 403                                                  ``PermissionDenied``  PERMANENT
400, 422 (``Invalid``)                                    ``InvalidSpec``     PERMANENT
other 4xx                                                 ``ProviderFailure`` PERMANENT
5xx, connection error, timeout                            ``ProviderFailure`` TRANSIENT
========================================================  ==================  =====================

The classifier sees what the REST layer returns (a ``RESTResponse`` with its status: the client
raises ``ApiException`` only after the REST layer) or the urllib3 exception it raised.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.client.rest import RESTResponse

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

PROVIDER = "kubernetes"


def _retry_after(headers: Any) -> float | None:
    value = str((headers or {}).get("Retry-After", "") or "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the policy's own backoff applies


def classify(outcome: Any) -> Verdict | AnswerClass:
    """The limiter's view of one request's outcome (a response, or the exception raised)."""
    if isinstance(outcome, RateLimited):
        return Verdict.PERMANENT
    if isinstance(outcome, RESTResponse | ApiException):
        status = int(outcome.status or 0)
        if status == 429:
            return AnswerClass(Verdict.THROTTLED, retry_after=_retry_after(outcome.headers))
        if status >= 500 or status == 0:
            return Verdict.TRANSIENT
        return Verdict.OK if status < 400 else Verdict.PERMANENT
    if isinstance(outcome, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError):
        return Verdict.TRANSIENT
    if isinstance(outcome, BaseException):
        return Verdict.PERMANENT
    return Verdict.OK


def status_of(exc: BaseException) -> tuple[int, str, str]:
    """(HTTP status, Status reason, message) of an API error; (0, "", text) for anything else."""
    if not isinstance(exc, ApiException):
        return 0, "", f"{type(exc).__name__}: {exc}"
    body: Any = exc.body
    if body is None and exc.data is not None:
        body = exc.data
    try:
        status = json.loads(body) if isinstance(body, str | bytes) else (body or {})
    except ValueError:
        status = {}
    if not isinstance(status, dict):
        status = {}
    return int(exc.status or 0), str(status.get("reason", "")), str(status.get("message", ""))


def is_stale(exc: BaseException) -> bool:
    """A 409 for a stale resourceVersion (optimistic concurrency), not for a duplicate name."""
    status, reason, _ = status_of(exc)
    return status == 409 and reason != "AlreadyExists"


def is_already_exists(exc: BaseException) -> bool:
    status, reason, _ = status_of(exc)
    return status == 409 and reason == "AlreadyExists"


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, ApiException) and exc.status == 404


def map_error(
    exc: BaseException, what: str, *, account: str | None = None, resource: str | None = None
) -> ProviderError:
    """The cloudrig error for an exception of a kubernetes call; ``what`` names the call.

    Messages carry the status, reason and the server's message, never headers (tokens)."""
    where: dict[str, str | None] = {"provider": PROVIDER, "account": account, "resource": resource}
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, RateLimited):
        return Throttled(f"{what}: {exc}", retry_after=exc.retry_after, **where)
    status, reason, message = status_of(exc)
    if status == 0:
        return ProviderFailure(f"{what}: {message}", **where)
    text = f"{what}: HTTP {status} {reason}: {message}".rstrip(": ")
    if status == 429:
        headers = exc.headers if isinstance(exc, ApiException) else None
        return Throttled(text, retry_after=_retry_after(headers), **where)
    if status == 404:
        return NotFound(text, **where)
    if status == 409:
        return Conflict(text, **where)
    if status in (401, 403):
        return PermissionDenied(text, **where)
    if status in (400, 422):
        return InvalidSpec(text, **where)
    return ProviderFailure(text, **where)
