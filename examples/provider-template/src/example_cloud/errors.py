"""The example cloud's error answers: an HTTP status, a stable code and a human message.

Every error the API returns has the body ``{"error": {"code": ..., "message": ...}}``, like most
real REST clouds; providers map the status (and sometimes the code) to cloudrig's error types.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answer. ``headers`` carries extras such as ``Retry-After``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def not_found(kind: str, name: str, region: str) -> ApiError:
    return ApiError(404, "NotFound", f"{kind} {name!r} does not exist in region {region!r}")


def already_exists(kind: str, name: str, region: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f"{kind} {name!r} already exists in region {region!r}")


def in_use(kind: str, name: str, by: str) -> ApiError:
    return ApiError(409, "InUse", f"{kind} {name!r} is in use by {by}")


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidRequest", message)
