"""One factory for the provider tests' ``Rig``: an account of one provider, found through its entry
point like any installed provider, with a SQLite state store in the test's folder, fast limits
and a canary metrics plugin whose canary looks like its baseline.

Each provider's tests describe their account once (``RigFactory(provider=..., account=...,
settings=...)``) and build specs with ``factory.spec(...)``; nothing else is repeated per provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples
from cloudrig.engine import SqliteStateStore
from cloudrig.provider import hookimpl
from cloudrig.ratelimit import Limit, LimitsConfig


class PassingMetrics:
    """A ``cloudrig_canary_metrics`` plugin whose canary looks like its baseline."""

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        base = tuple(100.0 + (i * 7) % 13 for i in range(30))
        return {"latency": MetricSamples(canary=base, baseline=base)}


def limits(
    rate: float = 200, burst: int = 20, attempts: int = 2, ttl: float = 0.5, **overrides: Any
) -> dict[str, Any]:
    """Limits fast enough for tests, with retries kept short."""
    return {
        "read": {"rate": rate, "burst": burst},
        "mutate": {"rate": rate, "burst": burst},
        "retries": {"attempts": attempts, "base": 0.01, "cap": 0.05},
        "cache": {"ttl": ttl},
        **overrides,
    }


def fast_limits(rate: float = 500, burst: int = 50, **overrides: Any) -> LimitsConfig:
    """Budgets high enough that tests never wait on the limiter unless they mean to (for the
    tests that build a provider by hand)."""
    values: dict[str, Any] = {
        "read": Limit(rate=rate, burst=burst),
        "mutate": Limit(rate=rate, burst=burst),
        "cache": {"ttl": 0.5},
        "retries": {"attempts": 4, "base": 0.01, "cap": 0.2},
    }
    return LimitsConfig.model_validate(values | overrides)


@dataclass(frozen=True)
class RigFactory:
    """How one provider's tests connect: the account's name, provider and settings."""

    provider: str
    account: str
    settings: Mapping[str, Any]
    default_limits: Mapping[str, Any] = field(default_factory=limits)
    headroom: int = 2
    """How far above ``desired`` a spec's ``capacity.max`` is."""

    def connect(
        self, tmp: Path, settings: Mapping[str, Any] | None = None, **config: Any
    ) -> cloudrig.Rig:
        """A ``Rig`` whose account has ``self.settings`` updated with ``settings``; ``config``
        adds top-level configuration (``limits`` replaces the defaults)."""
        account = {"provider": self.provider, **self.settings, **(settings or {})}
        return cloudrig.connect(
            {
                "accounts": {self.account: account},
                "limits": config.pop("limits", dict(self.default_limits)),
                **config,
            },
            plugins=[PassingMetrics()],
            state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
        )

    def upsert_web(self, rig: cloudrig.Rig, region: str, **fields: Any) -> None:
        """The load balancer ``web`` every spec of ``spec`` stands behind."""
        rig.account(self.account).upsert_load_balancer(
            LoadBalancerSpec(name="web", account=self.account, region=region, **fields)
        )

    def spec(
        self,
        region: str,
        artifact: str,
        desired: int = 2,
        app: str = "shop",
        **fields: Any,
    ) -> ServerGroupSpec:
        """The cluster ``{app}-prod`` behind ``web`` at ``desired`` (max ``headroom`` more)."""
        return ServerGroupSpec(
            moniker=Moniker(app=app, stack="prod"),
            account=self.account,
            region=region,
            artifact=artifact,
            capacity=Capacity(min=desired, desired=desired, max=desired + self.headroom),
            load_balancers=("web",),
            **fields,
        )
