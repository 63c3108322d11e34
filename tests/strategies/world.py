"""A deployment test world: a fresh reference cloud, a virtual clock, a SQLite state store, and
rigs that share them the way separate worker processes would (``world.rig()`` is a new "process").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudrig
import cloudrig.provider
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples
from cloudrig.engine import SqliteStateStore
from cloudrig.provider import Capabilities, hookimpl
from cloudrig.testing import ManualClock, ReferenceCloud, reference_plugin

ACCOUNT, REGION = "test", "reference-1"
_serial = itertools.count()

# Provider variants the strategies must adapt to (capabilities are static per provider name).
VARIANTS: dict[str, Capabilities] = {
    "reference": Capabilities(
        traffic_split="exact",
        max_weighted_groups=5,
        baseline_beside_canary=True,
        efficient_wait=True,
    ),
    "ref-capacity": Capabilities(  # Kubernetes-like: traffic follows replica counts, polling
        traffic_split="capacity_only",
        baseline_beside_canary=True,
    ),
    "ref-lambda": Capabilities(  # Lambda-like: an alias splits over two versions, no resize
        traffic_split="exact",
        max_weighted_groups=2,
        baseline_beside_canary=False,
        resizable=False,
    ),
    "ref-none": Capabilities(  # all-or-nothing traffic, resizable, no efficient wait
        traffic_split="none",
        baseline_beside_canary=True,
    ),
}
_PLUGINS = {
    name: reference_plugin(name, capabilities=caps)
    for name, caps in VARIANTS.items()
    if name != "reference"
}


class Metrics:
    """A ``cloudrig_canary_metrics`` plugin: canary samples shifted by ``regression``; ``outage``
    makes it raise (a metrics backend that is down)."""

    def __init__(self) -> None:
        self.regression = 0.0
        self.outage = False
        self.calls = 0

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        self.calls += 1
        if self.outage:
            raise ConnectionError("metrics backend unreachable")
        base = [100.0 + (i * 7) % 13 for i in range(30)]
        canary = [v * (1 + self.regression) for v in base]
        return {
            "latency": MetricSamples(canary=tuple(canary), baseline=tuple(base)),
            "errors": MetricSamples(
                canary=tuple(v / 100 for v in canary), baseline=tuple(v / 100 for v in base)
            ),
        }


@dataclass
class World:
    tmp: Path
    provider: str = "reference"
    desired: int = 3
    clock: ManualClock = field(default_factory=ManualClock)
    metrics: Metrics = field(default_factory=Metrics)
    store_factory: Callable[[World], Any] | None = None
    """Makes each worker's state store (default: SQLite in ``tmp``)."""

    def __post_init__(self) -> None:
        self.cloud_name = f"strategies-{next(_serial)}"
        self.cloud = ReferenceCloud.get(self.cloud_name)
        self.store_path = self.tmp / f"{self.cloud_name}.sqlite3"
        self.main = self.rig()
        self.account = self.main.account(ACCOUNT)
        self.account.upsert_load_balancer(
            LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
        )

    def close(self) -> None:
        ReferenceCloud.reset(self.cloud_name)

    def rig(self, **config: Any) -> cloudrig.Rig:
        """A new worker: its own Rig and store connection, the same cloud, file and clock."""
        plugins: list[Any] = ["cloudrig.testing.reference", self.metrics]
        if self.provider in _PLUGINS:
            plugins.append(_PLUGINS[self.provider])
        return cloudrig.connect(
            {
                "accounts": {
                    ACCOUNT: {
                        "provider": self.provider,
                        "regions": [REGION],
                        "cloud": self.cloud_name,
                    }
                },
                **config,
            },
            plugins=plugins,
            clock=self.clock,
            entry_points=False,
            state_store=(
                self.store_factory(self)
                if self.store_factory
                else SqliteStateStore(self.store_path, clock=self.clock)
            ),
        )

    def spec(
        self, artifact: str, *, desired: int | None = None, **settings: Any
    ) -> ServerGroupSpec:
        d = desired or self.desired
        return ServerGroupSpec(
            moniker=Moniker(app="shop", stack="prod"),
            account=ACCOUNT,
            region=REGION,
            artifact=artifact,
            capacity=Capacity(min=1, desired=d, max=d + 2),
            load_balancers=("web",),
            settings=settings,
        )

    @property
    def moniker(self) -> Moniker:
        return Moniker(app="shop", stack="prod")

    def groups(self) -> dict[str, Any]:
        return {g.name: g for g in self.account.get_cluster(self.moniker, REGION).server_groups}

    after_errors: int = 0

    @property
    def errors_seen(self) -> int:
        """Injected 5xx/throttling answers: refused calls plus lost answers of calls that happened."""
        refused = [e for e in self.cloud.history if e.outcome in ("ProviderFailure", "Throttled")]
        return len(refused) + self.after_errors

    def mutating_calls(self) -> int:
        return sum(1 for e in self.cloud.calls() if e.operation in cloudrig.provider.MUTATING)

    def after_mutations(self, k: int, action: Callable[[], None]) -> None:
        """Run ``action`` right after the k-th mutating call from now (k=0: at once)."""
        if k == 0:
            action()
            return
        seen = [0]

        def observer(cloud: ReferenceCloud, event: Any) -> None:
            if event.kind == "call" and event.operation in cloudrig.provider.MUTATING:
                seen[0] += 1
                if seen[0] == k:
                    action()

        self.cloud.observers.append(observer)
