"""One budget, many processes: two worker processes deploy to one AWS account with the Redis
backend, and the requests the proxy counts never exceed the configured rates (read 5/s, mutate
2/s, burst 1), though each process alone would have been allowed as much."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from support.proxy import FaultProxy
from support.proxy.rules import Request

from .conftest import AWS, REGION

pytestmark = [pytest.mark.moto, pytest.mark.redis, pytest.mark.slow]
WORKER = Path(__file__).with_name("budget_worker.py")
RATES = {"read": 5.0, "mutate": 2.0}


class TimedProxy(FaultProxy):
    """The fault-and-count proxy, also noting when each forwarded request arrived."""

    def __init__(self, upstream_url: str) -> None:
        super().__init__(upstream_url)
        self.arrivals: list[tuple[float, str, str]] = []
        self._arrivals_lock = threading.Lock()

    def _count(self, counter: Any, request: Request) -> None:
        super()._count(counter, request)
        with self._arrivals_lock:
            self.arrivals.append((time.monotonic(), service_of(request), request.label))


def service_of(request: Request) -> str:
    """The service from SigV4's credential scope: ``Credential=KEY/DATE/REGION/SERVICE/…``."""
    scope = request.headers.get("authorization", "").split("Credential=", 1)[-1]
    return scope.split("/")[3] if scope.count("/") >= 4 else "?"


def call_class(operation: str) -> str:
    return "read" if operation.startswith(("Describe", "List", "Get")) else "mutate"


def worst_excess(times: list[float], rate: float, burst: int = 1) -> float:
    """The most requests any window holds beyond what the budget allows in it (GCRA admits at
    most ``burst + rate * window``); > 0 means the rate was exceeded."""
    worst = float("-inf")
    for i in range(len(times)):
        for j in range(i, len(times)):
            worst = max(worst, (j - i + 1) - (burst + rate * (times[j] - times[i])))
    return worst


def test_two_processes_share_one_budget(
    moto_aws: Any, aws_env: None, redis_server: Any, tmp_path: Path
) -> None:
    redis_server.flushall()
    AWS.upsert_web(AWS.connect(tmp_path, {"endpoint_url": moto_aws.url}), REGION)
    proxy = TimedProxy(moto_aws.url).start()
    try:
        # The workers check their requests against the model too (support/aws/strict.py).
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "CLOUDRIG_TEST_STRICT_AWS": "1",
        }
        workers = [
            subprocess.Popen(
                [sys.executable, str(WORKER), proxy.url, redis_server.url, str(tmp_path), app],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for app in ("alpha", "beta")
        ]
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "ready"
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        admitted = []
        for w in workers:
            out, _ = w.communicate(timeout=180)
            assert w.returncode == 0, out
            admitted.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        proxy.stop()
    assert sum(admitted) == proxy.forwarded(), "every forwarded request was admitted once"
    # Buckets are per AWS account, service, region and call class.
    buckets: dict[tuple[str, str], list[float]] = {}
    for at, service, label in sorted(proxy.arrivals):
        buckets.setdefault((service, call_class(label)), []).append(at)
    mutate = buckets[("autoscaling", "mutate")]
    assert len(mutate) >= 8, proxy.counts()
    assert len(buckets[("autoscaling", "read")]) >= 8, proxy.counts()
    for (service, klass), times in buckets.items():
        # One request of slack: admission and arrival at the proxy are a network hop apart.
        assert worst_excess(times, RATES[klass]) <= 1.0, (service, klass, times)
    # Sharing is what kept them apart: alone, each could have sent its mutations at 2/s.
    assert mutate[-1] - mutate[0] >= (len(mutate) - 2) / RATES["mutate"]
