"""Where the workers and the deploying clients find Temporal, and how activities are retried.

A worker's configuration file is cloudrig's configuration (accounts, limits, deployments) with one
more top-level section, ``temporal``::

    temporal:
      address: temporal.internal:7233
      namespace: deployments
      task_queue: cloudrig
    accounts: ...
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudrig import ConfigError
from cloudrig.engine import Duration


class ActivityRetry(BaseModel):
    """Temporal's retry policy for a step that failed with a throttled or transient answer (after
    cloudrig's own retries inside the step ran out). Permanent errors are never retried: they roll
    the deployment back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial: Duration = Field(default=1.0, gt=0, description="First delay between attempts")
    maximum: Duration = Field(default=60.0, gt=0, description="Longest delay between attempts")
    backoff: float = Field(default=2.0, ge=1.0, description="Growth of the delay per attempt")
    attempts: int = Field(default=20, ge=1, description="Attempts of one step, the first included")


class TemporalSettings(BaseModel):
    """The ``temporal`` section of a worker's (and a deploying client's) configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(default="127.0.0.1:7233", description="host:port of the Temporal frontend")
    namespace: str = Field(default="default", min_length=1)
    task_queue: str = Field(default="cloudrig", min_length=1)
    heartbeat_timeout: Duration = Field(
        default=30.0,
        gt=0,
        description="A step whose worker stopped heartbeating this long runs again on another "
        "worker (from the last state it reported)",
    )
    step_timeout: Duration = Field(
        default=7200.0, gt=0, description="Longest one attempt of one step may run"
    )
    retry: ActivityRetry = Field(default_factory=ActivityRetry)
    restore_retry: Duration = Field(
        default=30.0, gt=0, description="Delay before an incomplete restore is tried again"
    )
    restore_attempts: int = Field(default=20, ge=1)
    gate_hold: Duration = Field(
        default=86400.0,
        gt=0,
        description="How long a deployment waiting at a gate without an approval timeout keeps "
        "its cluster's lease after its last step (an answer takes it again)",
    )
    max_concurrent_steps: int = Field(
        default=16, ge=1, description="Steps one worker runs at once (threads)"
    )


def split_config(source: str | Path | Mapping[str, Any]) -> tuple[TemporalSettings, dict[str, Any]]:
    """The ``temporal`` section, validated, and the rest (cloudrig's own configuration)."""
    where = None
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            loaded = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
        except OSError as exc:
            raise ConfigError([("", f"cannot read {path}: {exc.strerror}")], source=where) from None
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError([("", f"not valid: {exc}")], source=where) from None
        if not isinstance(loaded, Mapping):
            raise ConfigError([("", "the top level must be a mapping")], source=where)
        data = dict(loaded)
    raw = data.pop("temporal", None) or {}
    try:
        settings = TemporalSettings.model_validate(raw)
    except ValidationError as exc:
        problems = [
            (f"temporal.{'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()
        ]
        raise ConfigError(problems, source=where) from None
    return settings, data
