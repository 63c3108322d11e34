"""``PrometheusSource``: PromQL range queries through the rig's limiter.

Each analysis interval asks ``/api/v1/query_range`` once per group (canary, baseline) at the
configured step; every value of every series returned is one observation for the judge. The
request passes the limiter (cloud ``prometheus``, keyed by the server's URL), whose one retry
policy resends throttled and failed reads; errors carry Prometheus's own message and never a
credential.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import httpx

from cloudrig.canary import GroupRef, MetricSourceContext
from cloudrig.ratelimit import AnswerClass, Call, CallClass, Verdict
from cloudrig_prometheus.settings import PrometheusSettings


def classify(outcome: Any) -> AnswerClass:
    """An answer of the Prometheus API as the retry policy sees it."""
    if isinstance(outcome, httpx.TransportError):
        return AnswerClass(Verdict.TRANSIENT)
    if isinstance(outcome, BaseException):
        return AnswerClass(Verdict.PERMANENT)
    status = outcome.status_code
    if status == 429:
        retry_after = outcome.headers.get("Retry-After", "")
        return AnswerClass(Verdict.THROTTLED, float(retry_after) if retry_after.isdigit() else None)
    if status >= 500:
        return AnswerClass(Verdict.TRANSIENT)
    return AnswerClass(Verdict.PERMANENT if status >= 400 else Verdict.OK)


class PrometheusError(Exception):
    """Prometheus refused a query, or could not be reached: the interval counts as no data."""


class PrometheusSource:
    """A configured Prometheus, asked for the samples of one query over one interval."""

    def __init__(self, context: MetricSourceContext) -> None:
        settings: PrometheusSettings = context.settings
        self.name = context.name
        self.settings = settings
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if settings.token is not None:
            headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
        elif settings.username is not None and settings.password is not None:
            auth = httpx.BasicAuth(settings.username, settings.password.get_secret_value())
        self.client = httpx.Client(
            base_url=str(settings.url).rstrip("/"),
            headers=headers,
            auth=auth,
            timeout=settings.timeout_seconds,
        )
        self.gate = context.limiter.gate(
            cloud="prometheus", identity=str(settings.url), classify=classify
        )

    def samples(
        self, query: str, group: GroupRef, start: datetime, end: datetime
    ) -> tuple[float, ...]:
        """Every finite value of every series ``query`` returns between ``start`` and ``end``."""
        params = {
            "query": query,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{self.settings.step_seconds:g}",
        }
        call = Call("prometheus", "query_range", "global", CallClass.READ)
        try:
            response = self.gate.send(
                call, lambda: self.client.get("/api/v1/query_range", params=params)
            )
        except httpx.TransportError as exc:
            raise PrometheusError(
                f"metric source {self.name!r}: no answer ({type(exc).__name__}: {exc})"
            ) from exc
        body = _json(response)
        if response.status_code != 200 or body.get("status") != "success":
            error = body.get("error") or response.reason_phrase
            raise PrometheusError(
                f"metric source {self.name!r}: query {query!r} refused "
                f"(HTTP {response.status_code}): {error}"
            )
        values: list[float] = []
        for series in body.get("data", {}).get("result", ()):
            for _, raw in series.get("values", ()):
                value = float(raw)
                if math.isfinite(value):
                    values.append(value)
        return tuple(values)

    def check(self) -> str:
        """The server's version, from ``/api/v1/status/buildinfo`` (one request)."""
        call = Call("prometheus", "buildinfo", "global", CallClass.READ)
        try:
            response = self.gate.send(call, lambda: self.client.get("/api/v1/status/buildinfo"))
        except httpx.TransportError as exc:
            raise PrometheusError(f"no answer from {self.settings.url}: {exc}") from exc
        body = _json(response)
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(
                f"{self.settings.url} answered HTTP {response.status_code}: "
                f"{body.get('error') or response.reason_phrase}"
            )
        version = body.get("data", {}).get("version", "?")
        return f"Prometheus {version} at {self.settings.url}"

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
