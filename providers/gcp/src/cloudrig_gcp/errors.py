"""Compute answers in cloudrig's terms: the limiter's classifier and the error mapping.

The classifier sees each HTTP attempt at the session (a ``requests.Response`` or the exception
the adapter raised); the mapping turns the ``google.api_core.exceptions`` error the client raises
from the final answer (or a failed operation) into a cloudrig error.

===========================================================  ==================  =================
Compute answers                                              cloudrig raises     limiter verdict
===========================================================  ==================  =================
429, 403 ``rateLimitExceeded`` / ``userRateLimitExceeded``     ``Throttled``       THROTTLED
404 ``notFound``                                             ``NotFound``        PERMANENT
409 ``alreadyExists``, 400 ``resourceInUseByAnotherResource``,  ``Conflict``        PERMANENT
412 ``conditionNotMet`` (a stale fingerprint)
401, 403 (other reasons)                                     ``PermissionDenied``  PERMANENT
400 ``invalid`` and other 4xx                                ``InvalidSpec``     PERMANENT
5xx, connection errors, timeouts                             ``ProviderFailure`` TRANSIENT
===========================================================  ==================  =================
"""

from __future__ import annotations

import json
from typing import Any

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

PROVIDER = "gcp"
# Rate limits only: ``quotaExceeded`` (a resource quota such as CPUS) is permanent, not throttling.
THROTTLING_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
CONFLICT_REASONS = frozenset({"alreadyExists", "resourceInUseByAnotherResource", "conditionNotMet"})


def _reasons_of_body(text: str) -> set[str]:
    try:
        body = json.loads(text)
    except ValueError:
        return set()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return set()
    return {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}


def _retry_after(headers: Any) -> float | None:
    value = str((headers or {}).get("Retry-After", "")).strip()
    return float(value) if value.isdigit() else None


def classify(outcome: Any) -> Verdict | AnswerClass:
    """The limiter's view of one HTTP attempt (a ``requests.Response`` or an exception)."""
    import requests

    if isinstance(outcome, RateLimited):
        return Verdict.PERMANENT
    if isinstance(outcome, requests.ConnectionError | requests.Timeout):
        return Verdict.TRANSIENT
    if isinstance(outcome, BaseException):
        return Verdict.PERMANENT
    status = int(getattr(outcome, "status_code", 200))
    if status < 400:
        return Verdict.OK
    if status == 429 or (status == 403 and _reasons_of_body(outcome.text) & THROTTLING_REASONS):
        return AnswerClass(Verdict.THROTTLED, retry_after=_retry_after(outcome.headers))
    if status >= 500:
        return Verdict.TRANSIENT
    return Verdict.PERMANENT


def _camel(code: str) -> str:
    head, *tail = code.lower().split("_")
    return head + "".join(t.capitalize() for t in tail)


def _reasons(exc: Any) -> set[str]:
    reasons: set[str] = set()
    for e in getattr(exc, "errors", None) or []:
        if isinstance(e, dict):
            reasons.add(str(e.get("reason", "")))
        else:  # an OperationError of a failed operation: UPPER_SNAKE codes
            code = str(getattr(e, "code", "") or "")
            reasons.add(_camel(code) if code.isupper() else code)
    reason = getattr(exc, "reason", None)
    if reason:
        reasons.add(str(reason))
    response = getattr(exc, "response", None)
    text = getattr(response, "text", None)
    if isinstance(text, str):
        reasons |= _reasons_of_body(text)
    return reasons - {""}


def map_error(
    exc: BaseException, what: str, *, account: str | None = None, resource: str | None = None
) -> ProviderError:
    """The cloudrig error for an exception from a compute_v1 call; ``what`` names the call.

    The caller raises it ``from exc``. Messages carry GCE's status and message, never headers."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    where: dict[str, str | None] = {"provider": PROVIDER, "account": account, "resource": resource}
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, RateLimited):
        return Throttled(f"{what}: {exc}", retry_after=exc.retry_after, **where)
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return PermissionDenied(f"{what}: no Google credentials found: {exc}", **where)
    if isinstance(exc, auth_exc.GoogleAuthError):
        return PermissionDenied(f"{what}: {type(exc).__name__}: {exc}", **where)
    if not isinstance(exc, gexc.GoogleAPICallError):
        return ProviderFailure(f"{what}: {type(exc).__name__}: {exc}", **where)
    status = int(exc.code or 0)
    reasons = _reasons(exc)
    text = f"{what}: HTTP {status}: {exc.message}"
    if status == 429 or reasons & THROTTLING_REASONS:
        return Throttled(text, retry_after=None, **where)
    if status == 404:
        return NotFound(text, **where)
    if status in (409, 412) or reasons & CONFLICT_REASONS:
        return Conflict(text, **where)
    if status in (401, 403):
        return PermissionDenied(text, **where)
    if status >= 500 or status == 0:
        return ProviderFailure(text, **where)
    return InvalidSpec(text, **where)
