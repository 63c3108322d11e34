"""Canned error answers in each cloud's real wire shape, so client libraries parse injected faults
exactly as they parse the real ones.

The shapes were checked against the parsers that consume them: botocore's ``QueryParser`` (an
``ErrorResponse/Error/Code`` document), ``EC2QueryParser`` (``Response/Errors/Error/Code`` and
``RequestID``), ``BaseJSONParser`` (``__type`` in the body, ``x-amzn-ErrorType`` header) and
``RestJSONParser`` (the header first); the Kubernetes apiserver's max-in-flight filter (a
``Status`` object with ``reason: TooManyRequests``, ``details.retryAfterSeconds`` and a
``Retry-After`` header); Google's JSON error envelope (``error.errors[].reason``, ``error.status``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from xml.sax.saxutils import escape


class Style(StrEnum):
    """Which wire protocol a canned error speaks (pick the one of the upstream behind the proxy)."""

    AWS_QUERY = "aws-query"  # Auto Scaling, ELBv2, IAM, STS
    EC2 = "ec2"
    AWS_JSON = "aws-json"  # ECS (json), Lambda (rest-json)
    KUBERNETES = "kubernetes"
    GCP = "gcp"


@dataclass(frozen=True)
class Respond:
    """Answer the request from the proxy itself; the upstream never sees it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    """Forward the request, but add ``seconds`` of latency.

    By default the delay comes after the upstream answered (the change happened, the client just
    sees it late or times out: the nastier real case); ``before_upstream=True`` delays first.
    """

    seconds: float
    before_upstream: bool = False


@dataclass(frozen=True)
class Reset:
    """Read the request, reset the TCP connection (RST, no answer; the upstream never sees it)."""


@dataclass(frozen=True)
class Cut:
    """Forward the request, relay the answer, and drop the connection ``after`` seconds into it
    (RST, no end of the chunked stream): a watch cut mid-flight, as by an API server restart or
    a load balancer's idle timeout. A plain (not streamed) answer is never relayed: the upstream
    processed the request, the client sees the connection reset."""

    after: float = 0.0


Action = Respond | Delay | Reset | Cut


def _request_id() -> str:
    return str(uuid.uuid4())


def _aws_query(status: int, code: str, message: str, kind: str = "Sender") -> Respond:
    body = (
        '<ErrorResponse xmlns="https://cloudrig.invalid/doc/2015-12-01/">'
        f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        f"<RequestId>{_request_id()}</RequestId></ErrorResponse>"
    )
    return Respond(status, body.encode(), {"Content-Type": "text/xml"})


def _ec2(status: int, code: str, message: str) -> Respond:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{_request_id()}</RequestID></Response>"
    )
    return Respond(status, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def _aws_json(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> Respond:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "x-amzn-ErrorType": code,
        "x-amzn-RequestId": _request_id(),
        **(extra or {}),
    }
    return Respond(status, json.dumps({"__type": code, "message": message}).encode(), headers)


def _kubernetes(status: int, reason: str, message: str, retry_after: int | None) -> Respond:
    doc: dict[str, object] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": status,
    }
    headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        doc["details"] = {"retryAfterSeconds": retry_after}
        headers["Retry-After"] = str(retry_after)
    return Respond(status, json.dumps(doc).encode(), headers)


def _gcp(status: int, reason: str, domain: str, message: str, grpc_status: str) -> Respond:
    doc = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": grpc_status,
        }
    }
    return Respond(status, json.dumps(doc).encode(), {"Content-Type": "application/json"})


def aws_query_throttle() -> Respond:
    """Auto Scaling / ELBv2 / IAM throttling: 400 ``Throttling``."""
    return _aws_query(400, "Throttling", "Rate exceeded")


def ec2_throttle() -> Respond:
    """EC2 throttling: 503 ``RequestLimitExceeded`` in EC2's own XML shape."""
    return _ec2(503, "RequestLimitExceeded", "Request limit exceeded.")


def aws_json_throttle(code: str = "ThrottlingException", status: int = 400) -> Respond:
    """JSON-protocol throttling (ECS: 400 ``ThrottlingException``).

    Lambda throttles with ``aws_json_throttle("TooManyRequestsException", 429)``.
    """
    extra = {"Retry-After": "1"} if status == 429 else None
    return _aws_json(status, code, "Rate exceeded", extra)


def kubernetes_throttle(retry_after: int = 1) -> Respond:
    """The apiserver's 429: a ``Status`` body and ``Retry-After``."""
    return _kubernetes(
        429, "TooManyRequests", "Too many requests, please try again later.", retry_after
    )


def gcp_rate_limit() -> Respond:
    """Google API rate limit: 429 with ``reason: rateLimitExceeded``."""
    return _gcp(
        429, "rateLimitExceeded", "usageLimits", "Rate Limit Exceeded", "RESOURCE_EXHAUSTED"
    )


def throttle(style: Style) -> Respond:
    """The throttling answer of ``style``'s cloud."""
    return {
        Style.AWS_QUERY: aws_query_throttle,
        Style.EC2: ec2_throttle,
        Style.AWS_JSON: aws_json_throttle,
        Style.KUBERNETES: kubernetes_throttle,
        Style.GCP: gcp_rate_limit,
    }[style]()


def server_error(style: Style, status: int = 500) -> Respond:
    """A 5xx in ``style``'s shape: 500 is an internal error, any other 5xx "unavailable"."""
    internal = status == 500
    if style is Style.AWS_QUERY:
        code = "InternalFailure" if internal else "ServiceUnavailable"
        return _aws_query(status, code, "Injected server error", kind="Receiver")
    if style is Style.EC2:
        return _ec2(status, "InternalError" if internal else "Unavailable", "Injected server error")
    if style is Style.AWS_JSON:
        code = "InternalFailure" if internal else "ServiceUnavailableException"
        return _aws_json(status, code, "Injected server error")
    if style is Style.KUBERNETES:
        reason = "InternalError" if internal else "ServiceUnavailable"
        return _kubernetes(status, reason, "Injected server error", None)
    reason = "backendError" if internal else "unavailable"
    return _gcp(
        status, reason, "global", "Injected server error", "INTERNAL" if internal else "UNAVAILABLE"
    )
