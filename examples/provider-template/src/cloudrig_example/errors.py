"""Mapping the example cloud's answers to cloudrig's errors — the only place that decides it.

=================================  =========================  ====================================
The cloud answers                  cloudrig raises            why
=================================  =========================  ====================================
400 (invalid input)                ``InvalidSpec``            the cloud's message names the field
401 (no or unknown token)          ``PermissionDenied``       the credentials are refused
403 (read-only token)              ``PermissionDenied``       the action is refused
404                                ``NotFound``
405, other 4xx                     ``ProviderFailure``        a provider bug, not the caller's
409 (exists, in use)               ``Conflict``
429                                ``Throttled``              ``retry_after`` from ``Retry-After``
5xx                                ``ProviderFailure``
timeout, connection error          ``ProviderFailure``        the original kept as ``__cause__``
unreadable body (not JSON)         ``ProviderFailure``
=================================  =========================  ====================================

The table is repeated in the README; ``tests/test_errors.py`` checks every row. Messages
carry the method, the path and the cloud's own message — never a header, where the token travels.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from cloudrig import (
    Conflict,
    InvalidSpec,
    NotFound,
    PermissionDenied,
    ProviderError,
    ProviderFailure,
    Throttled,
)

PROVIDER = "example"

_BY_STATUS: dict[int, type[ProviderError]] = {
    400: InvalidSpec,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
}


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def error_for_status(
    status: int,
    message: str,
    *,
    retry_after: str | None = None,
    account: str | None = None,
    resource: str | None = None,
) -> ProviderError:
    """The cloudrig error for an HTTP error answer; ``message`` already says what was asked."""
    where = {"provider": PROVIDER, "account": account, "resource": resource}
    text = f"{message} (HTTP {status})"
    if status == 429:
        return Throttled(text, retry_after=parse_retry_after(retry_after), **where)
    return _BY_STATUS.get(status, ProviderFailure)(text, **where)


def transport_failure(
    what: str, exc: Exception, *, account: str | None = None, resource: str | None = None
) -> ProviderFailure:
    """A request that got no HTTP answer: timeout, refused or reset connection, bad TLS."""
    return ProviderFailure(
        f"{what}: no answer from the example cloud ({type(exc).__name__}: {exc})",
        provider=PROVIDER,
        account=account,
        resource=resource,
    )


def unexpected_answer(
    message: str, *, account: str | None = None, resource: str | None = None
) -> ProviderFailure:
    """A success status with a body the provider cannot read."""
    return ProviderFailure(message, provider=PROVIDER, account=account, resource=resource)
