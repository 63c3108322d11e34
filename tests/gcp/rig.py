"""A cloudrig ``Rig`` with one GCP account on the Compute emulator, found through the
``cloudrig-gcp`` entry point like any installed provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import Capacity, HealthCheck, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples
from cloudrig.engine import SqliteStateStore
from cloudrig.provider import hookimpl

from .conftest import PROJECT, REGION

ACCOUNT = "gcp-test"
IMAGE_V1 = "projects/cloudrig-test/global/images/shop-1"
IMAGE_V2 = "projects/cloudrig-test/global/images/shop-2"


class PassingMetrics:
    """A ``cloudrig_canary_metrics`` plugin whose canary looks like its baseline."""

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        base = tuple(100.0 + (i * 7) % 13 for i in range(30))
        return {"latency": MetricSamples(canary=base, baseline=base)}


def limits(**overrides: Any) -> dict[str, Any]:
    return {
        "read": {"rate": 500, "burst": 50},
        "mutate": {"rate": 500, "burst": 50},
        "retries": {"attempts": 3, "base": 0.01, "cap": 0.05},
        "cache": {"ttl": 0.2},
        **overrides,
    }


def fast_boot(emulator: Any) -> None:
    """VMs RUNNING 0.2 s after they are created (2 s by default), deleted after 0.1 s."""
    emulator.fleet.provisioning_seconds = 0.1
    emulator.fleet.staging_seconds = 0.1
    emulator.fleet.deleting_seconds = 0.1


def make_rig(endpoint: str, tmp: Path, **config: Any) -> cloudrig.Rig:
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "gcp",
                    "project": PROJECT,
                    "regions": [REGION],
                    "anonymous": True,
                    "api_endpoint": endpoint,
                    "operation_timeout": 20,
                }
            },
            "limits": config.pop("limits", limits()),
            **config,
        },
        plugins=[PassingMetrics()],
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def upsert_web(rig: cloudrig.Rig) -> None:
    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION, health_check=HealthCheck())
    )


def spec(artifact: str, desired: int = 2, app: str = "shop") -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app=app, stack="prod"),
        account=ACCOUNT,
        region=REGION,
        artifact=artifact,
        capacity=Capacity(min=desired, desired=desired, max=desired + 2),
        load_balancers=("web",),
    )
