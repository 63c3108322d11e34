"""One configured Prometheus: where it is, how to authenticate, how finely to sample."""

from __future__ import annotations

from typing import Self

from pydantic import AnyHttpUrl, Field, model_validator

from cloudrig.canary import MetricSourceSettings
from cloudrig.provider import Secret


class PrometheusSettings(MetricSourceSettings):
    """A Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics) as ``metric_sources``
    configures it::

        metric_sources:
          prom:
            source: prometheus
            url: https://prometheus.example.com
            token: env:PROM_TOKEN      # or username + password, both references
            step_seconds: 15
    """

    url: AnyHttpUrl = Field(description="Base URL of the HTTP API (…/api/v1 is appended)")
    token: Secret | None = Field(default=None, description="Bearer token, as env:NAME or file:PATH")
    username: str | None = Field(default=None, description="Basic auth user (with password)")
    password: Secret | None = Field(default=None, description="Basic auth password reference")
    step_seconds: float = Field(
        default=15.0, gt=0, le=3600, description="Resolution of range queries: one sample a step"
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="Per request")

    @model_validator(mode="after")
    def _one_auth(self) -> Self:
        if self.token is not None and (self.username or self.password):
            raise ValueError("give a bearer token or a username and password, not both")
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both username and password")
        return self
