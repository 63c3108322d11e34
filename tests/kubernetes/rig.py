"""A cloudrig ``Rig`` with one Kubernetes account on the session's API server (or on a fault
proxy in front of it), found through the ``cloudrig-kubernetes`` entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples
from cloudrig.engine import SqliteStateStore
from cloudrig.provider import hookimpl

ACCOUNT = "kube-test"
IMAGE_V1, IMAGE_V2 = "registry.example/shop:1", "registry.example/shop:2"


class PassingMetrics:
    """A ``cloudrig_canary_metrics`` plugin whose canary looks like its baseline."""

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        base = tuple(100.0 + (i * 7) % 13 for i in range(30))
        return {"latency": MetricSamples(canary=base, baseline=base)}


def limits(**overrides: Any) -> dict[str, Any]:
    return {
        "read": {"rate": 200, "burst": 20},
        "mutate": {"rate": 200, "burst": 20},
        "retries": {"attempts": 2, "base": 0.01, "cap": 0.05},
        "cache": {"ttl": 0.5},
        **overrides,
    }


def make_rig(kubeconfig: Path, namespace: str, state: Path, **config: Any) -> cloudrig.Rig:
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "kubernetes",
                    "namespaces": [namespace],
                    "kubeconfig": str(kubeconfig),
                }
            },
            "limits": config.pop("limits", limits()),
            **config,
        },
        plugins=[PassingMetrics()],
        state_store=SqliteStateStore(state / "deployments.sqlite3"),
    )


def upsert_web(rig: cloudrig.Rig, namespace: str) -> None:
    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=namespace)
    )


def spec(namespace: str, image: str, desired: int = 2) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app="shop", stack="prod"),
        account=ACCOUNT,
        region=namespace,
        artifact=image,
        capacity=Capacity(min=desired, desired=desired, max=desired + 2),
        load_balancers=("web",),
    )
