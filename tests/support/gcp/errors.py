"""Compute API errors in the exact JSON shape GCE sends, so the real client raises its real exceptions.

google-api-core maps the HTTP status to an exception class (404 NotFound, 409 Conflict, 412
PreconditionFailed, 429 TooManyRequests, 503 ServiceUnavailable, 400 BadRequest) and reads
``error.message`` and ``error.errors[].reason`` from the body, so both must look like GCE's.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# The reason GCE puts in ``errors[0].reason`` for each status it sends (Compute API error catalogue).
DEFAULT_REASONS: dict[int, str] = {
    400: "invalid",
    403: "forbidden",
    404: "notFound",
    409: "alreadyExists",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}

DEFAULT_MESSAGES: dict[int, str] = {
    429: "Rate Limit Exceeded",
    500: "Internal error. Please try again or contact Google Support.",
    503: "The service is currently unavailable.",
}


class ComputeError(Exception):
    """A Compute API error: raised by handlers, turned into the GCE error body by the server."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message

    @classmethod
    def status(
        cls, code: int, reason: str | None = None, message: str | None = None
    ) -> ComputeError:
        """An error for an HTTP status, with GCE's usual reason and message when none is given."""
        return cls(
            code,
            reason or DEFAULT_REASONS.get(code, "backendError"),
            message or DEFAULT_MESSAGES.get(code, HTTPStatus(code).phrase),
        )

    def body(self) -> dict[str, Any]:
        """The JSON document GCE returns for this error."""
        domain = "usageLimits" if self.code == 429 else "global"
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": domain, "reason": self.reason}],
            }
        }


def invalid(message: str) -> ComputeError:
    return ComputeError(400, "invalid", message)


def not_found(resource_path: str) -> ComputeError:
    return ComputeError(404, "notFound", f"The resource '{resource_path}' was not found")


def already_exists(resource_path: str) -> ComputeError:
    return ComputeError(409, "alreadyExists", f"The resource '{resource_path}' already exists")


def in_use(kind: str, resource_path: str, user_path: str) -> ComputeError:
    return ComputeError(
        400,
        "resourceInUseByAnotherResource",
        f"The {kind} resource '{resource_path}' is already being used by '{user_path}'",
    )


def condition_not_met(message: str = "Invalid fingerprint.") -> ComputeError:
    return ComputeError(412, "conditionNotMet", message)
