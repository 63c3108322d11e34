"""A cloudrig ``Rig`` with one Lambda account on moto server (or on a FaultProxy in front of it),
found through the ``cloudrig-lambda`` entry point like any installed provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples
from cloudrig.engine import SqliteStateStore
from cloudrig.provider import hookimpl

from .conftest import KEY_ENV, REGION, SECRET_ENV

ACCOUNT = "lambda-test"
V1 = "def handler(event, context):\n    return {'version': 1}\n"
V2 = "def handler(event, context):\n    return {'version': 2}\n"


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


def make_rig(endpoint_url: str, tmp: Path, **config: Any) -> cloudrig.Rig:
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "lambda",
                    "regions": [REGION],
                    "access_key_id": f"env:{KEY_ENV}",
                    "secret_access_key": f"env:{SECRET_ENV}",
                    "endpoint_url": endpoint_url,
                    "account_id": "123456789012",
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
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
    )


def spec(artifact: str, role: str, **settings: Any) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app="shop", stack="prod"),
        account=ACCOUNT,
        region=REGION,
        artifact=artifact,
        capacity=Capacity.fixed(1),
        load_balancers=("web",),
        settings={"role": role, **settings},
    )
