"""The ``deployments`` section of the configuration: where deployment state and leases live.

    deployments:
      store: sqlite                  # default: a local file, nothing to run
      path: /var/lib/cloudrig/deployments.sqlite3
      # store: redis                 # many workers on many hosts
      # redis: {url: "redis://10.0.0.5:6379/1", timeout: 0.5}
      lease_ttl: 60s                 # a crashed worker's lease frees itself after this
      lease_wait: 5m                 # how long a deployment waits for a busy cluster
      retention: 30d                 # how long finished deployments (and events) are kept

Imports only pydantic and the rate limiter's option models, so loading a configuration stays cheap.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from cloudrig.ratelimit._options import RedisOptions

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: Any) -> Any:
    """Seconds from a number or a string like ``90``, ``30s``, ``10m``, ``1h30m`` (what people
    write in YAML); other values are left for pydantic to reject."""
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        try:
            return float(text)
        except ValueError:
            pass
        parts = _PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"not a duration: {value!r} (use seconds or e.g. 30s, 10m, 1h30m)")
        return sum(float(n) * _UNITS[u] for n, u in parts)
    return value


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    Field(ge=0),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d))+$|^\d+(\.\d+)?$"},
            ],
            "description": "Seconds, or a duration like 30s, 10m, 1h30m",
        }
    ),
]
"""Seconds; accepts ``10m``-style strings."""

DEFAULT_RETENTION = 30 * 86400.0
"""How long finished deployments stay in the state store (30 days)."""


def default_state_path() -> Path:
    """``$XDG_STATE_HOME/cloudrig/deployments.sqlite3`` (``~/.local/state`` when unset): one file per
    user, so ``cloudrig deployments`` sees every deployment started from this machine."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cloudrig" / "deployments.sqlite3"


class DeploymentsConfig(BaseModel):
    """The ``deployments:`` section: where records and leases live (SQLite or Redis), how long
    finished ones are kept, the lease's TTL and the engine's retry policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store: Literal["sqlite", "redis"] = "sqlite"
    path: Path | None = Field(default=None, description="SQLite file (default: XDG state dir)")
    redis: RedisOptions | None = None
    key_prefix: str = Field(default="cloudrig:deploy", min_length=1, max_length=48)
    lease_ttl: Duration = Field(default=60.0, gt=0)
    lease_wait: Duration = 300.0
    drain_wait: Duration = 3600.0
    retention: Duration = Field(
        default=DEFAULT_RETENTION,
        gt=0,
        description=(
            "How long a finished deployment's record and events stay in the store after it "
            "finished (default 30d); unfinished ones never expire. Redis sets it as the keys' TTL "
            "when a deployment finishes, SQLite deletes expired rows when a deployment starts. "
            "At least lease_wait, so a request that waited for a busy cluster still finds the "
            "deployment that answered it."
        ),
    )

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.store == "redis" and self.redis is None:
            raise ValueError("store 'redis' needs a 'redis' section with at least 'url'")
        return self

    @model_validator(mode="after")
    def _retention_outlasts_the_wait(self) -> Self:
        if self.retention < self.lease_wait:
            raise ValueError(
                f"retention ({self.retention:g}s) must be at least lease_wait "
                f"({self.lease_wait:g}s): a deployment that waited for the cluster looks up the "
                "one that finished meanwhile"
            )
        return self

    @property
    def sqlite_path(self) -> Path:
        """``path``, or the default file in the user's XDG state directory."""
        return self.path or default_state_path()
