"""The HTTP client of the example cloud: one ``httpx.Client`` per account, errors mapped.

Why httpx: a small, well-kept client with timeouts on every phase, connection pooling, and a
*transport* layer — the single place every request passes through. cloudrig's rate limiter
attaches there (docs/architecture.md §5: at the transport, not at call sites), so nothing in the noun modules
may send a request any other way than ``ExampleClient.request``.

Retries: httpx's transport is built with ``retries=0``; the account's ``Gate`` (cloudrig's limiter
and its one retry policy, ``cloudrig.ratelimit``) wraps the single send below, so every attempt is
admitted exactly once and only reads are repeated.

The token is attached by ``_BearerAuth`` at send time and lives in a ``SecretStr`` until then; it is
never logged (the log lines carry method, path and status only) and never put in an error.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from cloudrig.ratelimit import AnswerClass, Call, CallClass, Gate, Verdict
from cloudrig_example.errors import (
    error_for_status,
    parse_retry_after,
    transport_failure,
    unexpected_answer,
)
from cloudrig_example.settings import ExampleAccountSettings

Json = dict[str, Any]


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …`` to each request, reading the secret only then."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


def classify(outcome: object) -> AnswerClass:
    """What an answer means to the retry policy: 429 throttled, 5xx and transport errors
    transient, everything else final."""
    if isinstance(outcome, httpx.Response):
        if outcome.status_code == 429:
            retry_after = parse_retry_after(outcome.headers.get("Retry-After"))
            return AnswerClass(Verdict.THROTTLED, retry_after)
        if outcome.status_code >= 500:
            return AnswerClass(Verdict.TRANSIENT)
        return AnswerClass(Verdict.OK if outcome.is_success else Verdict.PERMANENT)
    if isinstance(outcome, httpx.TransportError):
        return AnswerClass(Verdict.TRANSIENT)
    return AnswerClass(Verdict.PERMANENT)


def _call(method: str, path: str) -> Call:
    """The limiter's view of a request: ``/regions/{r}/{kind}/...`` → region r, operation kind."""
    parts = path.strip("/").split("/")
    regional = parts[0] == "regions" and len(parts) > 1
    region = parts[1] if regional else "global"
    kind = (parts[2] if len(parts) > 2 else "regions") if regional else parts[0]
    call_class = CallClass.READ if method == "GET" else CallClass.MUTATE
    return Call("api", f"{method} {kind}", region, call_class)


def build_transport() -> httpx.BaseTransport:
    """The transport every request of an account goes through (the rate limiter's place)."""
    return httpx.HTTPTransport(retries=0)


class ExampleClient:
    """Sends requests to one account's endpoint and turns error answers into cloudrig errors."""

    def __init__(
        self,
        settings: ExampleAccountSettings,
        *,
        account: str,
        logger: logging.Logger,
        transport: httpx.BaseTransport | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.account = account
        self._gate = gate
        self._token = settings.token
        self._logger = logger
        self._http = httpx.Client(
            base_url=str(settings.endpoint).rstrip("/") + "/v1",
            auth=_BearerAuth(settings.token),
            timeout=settings.timeout_seconds,
            transport=transport or build_transport(),
            headers={"User-Agent": "cloudrig-example/0.1", "Accept": "application/json"},
            follow_redirects=False,  # a redirect could carry the token to another host
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        params: Mapping[str, str] | None = None,
        resource: str | None = None,
    ) -> Json | None:
        """Send one request; return the JSON body (``None`` for 204) or raise a cloudrig error.

        ``resource`` names what the request is about, for the error's ``resource`` attribute.
        """
        what = f"{method} {path}"
        try:
            if self._gate is None:
                response = self._http.request(method, path, json=json, params=params)
            else:  # the single send point: admitted (and retried) here, nowhere else
                response = self._gate.send(
                    _call(method, path),
                    lambda: self._http.request(method, path, json=json, params=params),
                )
        except httpx.TransportError as exc:
            self._logger.debug("%s failed: %s", what, type(exc).__name__)
            raise transport_failure(what, exc, account=self.account, resource=resource) from exc
        self._logger.debug("%s -> %d", what, response.status_code)
        if response.is_success:
            return self._json(response, what, resource) if response.content else None
        raise error_for_status(
            response.status_code,
            f"{what}: {self._message(response)}",
            retry_after=response.headers.get("Retry-After"),
            account=self.account,
            resource=resource,
        )

    def get(
        self, path: str, *, params: Mapping[str, str] | None = None, resource: str | None = None
    ) -> Json:
        return self.request("GET", path, params=params, resource=resource) or {}

    def _json(self, response: httpx.Response, what: str, resource: str | None) -> Json:
        try:
            body = response.json()
        except ValueError as exc:
            raise unexpected_answer(
                f"{what}: the body is not JSON", account=self.account, resource=resource
            ) from exc
        if not isinstance(body, dict):
            raise unexpected_answer(
                f"{what}: expected a JSON object", account=self.account, resource=resource
            )
        return body

    def _message(self, response: httpx.Response) -> str:
        """The cloud's own message, cut short, with the token blanked should a server echo it."""
        try:
            error = response.json().get("error", {})
            message = str(error.get("message") or error.get("code") or "")
        except (ValueError, AttributeError):
            message = response.text[:200]
        message = message[:500] or response.reason_phrase
        secret = self._token.get_secret_value()
        return message.replace(secret, "***") if secret else message
