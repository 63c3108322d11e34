"""The ``limits`` section of the configuration: budgets, backend, failure policy, retries, cache.

    limits:
      backend: redis                 # or local (default): in-process, no server
      redis: {url: "redis://10.0.0.5:6379/0", timeout: 0.1}
      fallback: local                # when Redis is unreachable: local (default) | closed | open
      local_share: 0.25              # the fraction of each budget one process uses meanwhile
      read:   {rate: 10, burst: 1}   # defaults per call class
      mutate: {rate: 2,  burst: 1}
      rules:                         # the most specific matching rule wins
        - {cloud: aws, service: ec2, call_class: read, rate: 20, burst: 5}
        - {cloud: aws, service: ec2, api: DescribeInstances, rate: 40, burst: 10}  # its own bucket

Burst is explicit and defaults to 1 (requests evenly spaced), never to the rate: a burst equal to
the rate lets a whole second's budget out at once, which is exactly what trips a cloud's throttling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from cloudrig._config._secrets import Secret


class CallClass(StrEnum):
    """Clouds budget reads and mutations separately (AWS: non-mutating vs mutating actions)."""

    READ = "read"
    MUTATE = "mutate"


class Fallback(StrEnum):
    """What the Redis backend does while Redis is unreachable."""

    LOCAL = "local"
    """Admit against an in-process bucket at ``local_share`` of the budget (conservative)."""
    CLOSED = "closed"
    """Deny every request: nothing reaches the cloud until Redis is back."""
    OPEN = "open"
    """Admit every request unlimited (the cloud's own throttling is the only guard)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Limit(_Model):
    """A budget: ``rate`` requests per second, at most ``burst`` of them back to back."""

    rate: float = Field(gt=0, description="Sustained requests per second")
    burst: int = Field(default=1, ge=1, description="Requests allowed back to back (1: smooth)")


class Rule(Limit):
    """A budget for every call matching all the fields given. With ``api`` the calls of that one API
    get a bucket of their own instead of sharing their service's."""

    cloud: str | None = None
    identity: str | None = None
    service: str | None = None
    region: str | None = None
    call_class: CallClass | None = None
    api: str | None = None

    def specificity(self) -> int:
        """How specific the rule is; a call spends from its most specific matching rule. An
        API-level rule beats any combination of the coarser fields."""
        fields = (self.cloud, self.identity, self.service, self.region, self.call_class)
        return (8 if self.api is not None else 0) + sum(f is not None for f in fields)


class RedisOptions(_Model):
    """The ``limits.redis`` section: where the shared buckets live. The password is a secret
    reference, never part of ``url``."""

    url: str = Field(description="redis://host:port/db or rediss://…; no password here")
    password: Secret | None = None
    cluster: bool = Field(default=False, description="Connect as a Redis Cluster client")
    timeout: float = Field(
        default=0.1,
        gt=0,
        le=5,
        description="Socket connect and read timeout in seconds: how long one decision may hang",
    )
    key_prefix: str = Field(default="cloudrig:rl", min_length=1, max_length=32)

    @model_validator(mode="after")
    def _no_password_in_url(self) -> Self:
        if "@" in self.url:
            raise ValueError("put the password in 'password' (env:NAME or file:PATH), not the URL")
        return self

    def password_value(self) -> str | None:
        """The resolved password, for the Redis client only (never logged)."""
        return self.password.get_secret_value() if isinstance(self.password, SecretStr) else None


class AdaptiveOptions(_Model):
    """How a throttling answer from the cloud slows a bucket down, and how it recovers."""

    enabled: bool = True
    decrease: float = Field(default=0.5, gt=0, lt=1, description="Rate multiplier per throttle")
    floor: float = Field(default=0.1, gt=0, le=1, description="Lowest fraction of the rate")
    recovery_seconds: float = Field(
        default=60, gt=0, description="Time to climb linearly from the floor back to the full rate"
    )
    cooldown_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Throttles within this time of a decrease count as the same wave (no new cut)",
    )


class RetryOptions(_Model):
    """The ``limits.retry`` section: exponential backoff with full jitter between attempts of a
    repeatable call (reads, and writes marked ``safe``)."""

    attempts: int = Field(default=5, ge=1, description="Attempts in all, the first included")
    base: float = Field(default=0.2, gt=0, description="Backoff scale in seconds")
    cap: float = Field(default=20, gt=0, description="Longest single backoff in seconds")


class CacheOptions(_Model):
    """The ``limits.cache`` section: how long read answers are reused (``ReadCache``)."""

    ttl: float = Field(default=2.0, ge=0, description="Seconds a describe/list answer is reused")
    max_entries: int = Field(default=10_000, ge=1)


class LimitsConfig(_Model):
    """The whole ``limits`` section; every field has a safe default."""

    backend: Literal["local", "redis"] = "local"
    redis: RedisOptions | None = None
    fallback: Fallback = Fallback.LOCAL
    local_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Fraction of each budget one process may use while Redis is unreachable",
    )
    breaker_seconds: float = Field(
        default=1.0, gt=0, description="How long Redis is left alone after a failure"
    )
    max_wait: float = Field(
        default=30, ge=0, description="Longest a request waits for its slot before RateLimited"
    )
    read: Limit = Limit(rate=10, burst=1)
    mutate: Limit = Limit(rate=2, burst=1)
    rules: tuple[Rule, ...] = ()
    adaptive: AdaptiveOptions = AdaptiveOptions()
    retries: RetryOptions = RetryOptions()
    cache: CacheOptions = CacheOptions()

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.backend == "redis" and self.redis is None:
            raise ValueError("backend 'redis' needs a 'redis' section with at least 'url'")
        return self
