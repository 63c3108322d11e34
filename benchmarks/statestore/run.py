"""What starting a deployment costs the state store with a small and with a long history.

    .venv/bin/python benchmarks/statestore/run.py                  # this tree: results-after.json
    PYTHONPATH=/tmp/before/core/src .venv/bin/python benchmarks/statestore/run.py --label before

The timed unit is the store work ``rig.deploy`` does before its first cloud call, in its order
(``engine/_service.py``): the unfinished deployments of the cluster, the drain flag, the lease,
the unfinished ones again and the cluster's latest (under the lease), the create, the first two
events and a checkpoint. It runs on a target cluster with 5 finished deployments of its own, in a
store that also holds N records of other clusters (N/10 clusters of 10, one in a hundred
unfinished): N = 10 and N = 10,000, on SQLite and on a real redis-server. After each unit the
created record, its events and the lease are deleted again (untimed), so every unit sees the same
store. The four configurations run interleaved, one unit each per round in a shuffled order, so
the machine's noise falls on all alike; the figure is the median, and the ratio 10,000 / 10 of
each backend is computed from the same run.

The script works with the store API from before the fenced events (``append_event(event)``) as
well, so the same measurement can be made on an older checkout (a ``git worktree`` outside this
tree, put first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import cloudrig  # noqa: E402
from cloudrig import Moniker  # noqa: E402
from cloudrig.engine import lease_key  # noqa: E402
from cloudrig.engine._records import (  # noqa: E402
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
)
from cloudrig.engine._redis import RedisStateStore  # noqa: E402
from cloudrig.engine._sqlite import SqliteStateStore  # noqa: E402
from cloudrig.ratelimit import RedisOptions, make_client  # noqa: E402
from cloudrig.testing import ManualClock  # noqa: E402
from support.redis_servers import RedisServer, launch_server  # noqa: E402

SIZES = (10, 10_000)
TARGET = Moniker(app="bench", stack="target")
OWN_HISTORY = 5
BOUND = 1.5


def record(moniker: Moniker, n: int, clock: ManualClock, status: DeploymentStatus) -> Any:
    now = clock.now()
    return DeploymentRecord(
        id=f"d-{moniker.stack}-{n:05d}",
        account="acct",
        region="r1",
        moniker=moniker,
        strategy="redblack",
        params={"max_remaining": 2},
        fingerprint=f"{moniker.stack}-{n}",
        status=status,
        created_at=now,
        updated_at=now,
    )


def fenced_events(store: Any) -> bool:
    return "holder" in inspect.signature(store.append_event).parameters


def append(store: Any, event: Any, holder: str) -> None:
    if fenced_events(store):
        store.append_event(event, holder=holder)
    else:
        store.append_event(event)


def populate(store: Any, clock: ManualClock, others: int) -> None:
    """``others`` records over others/10 clusters (1 in 100 unfinished), then the target's 5."""

    def cluster(moniker: Moniker, count: int, last_unfinished: bool) -> None:
        key = lease_key("acct", "r1", moniker)
        assert store.acquire_lease(key, "filler", 1e7)
        for n in range(count):
            clock.advance(1)
            rec = record(moniker, n, clock, DeploymentStatus.RUNNING)
            store.create(rec, holder="filler")
            if not (last_unfinished and n == count - 1):
                rec.status = DeploymentStatus.SUCCEEDED
                store.save(rec, holder="filler")
        store.release_lease(key, "filler")

    made, c = 0, 0
    while made < others:
        count = min(10, others - made)
        cluster(Moniker(app="other", stack=f"c{c:04d}"), count, c % 10 == 9)
        made, c = made + count, c + 1
    cluster(TARGET, OWN_HISTORY, False)


def start_deployment(store: Any, clock: ManualClock, n: int) -> str:
    """The store operations of ``rig.deploy`` up to its first cloud call; the new record's id."""
    key = lease_key("acct", "r1", TARGET)
    assert not store.find(lease_key=key, unfinished=True)  # _existing
    assert not store.draining()  # _wait_for_drain
    assert store.acquire_lease(key, "bench", 60)  # Lease.acquire
    assert not store.find(lease_key=key, unfinished=True)  # make: a racing worker?
    latest = store.find(lease_key=key)  # make: the same spec deployed meanwhile?
    assert latest
    assert latest[0].status.finished
    rec = record(TARGET, 1000 + n, clock, DeploymentStatus.RUNNING)
    store.create(rec, holder="bench")
    for seq, (kind, message) in enumerate(
        [(EventKind.STARTED, "deployment started"), (EventKind.NOTE, "first step")], start=1
    ):
        event = DeploymentEvent(
            deployment_id=rec.id, seq=seq, time=clock.now(), kind=kind, message=message
        )
        append(store, event, "bench")
    rec.step_name = "create"
    store.save(rec, holder="bench")  # the first checkpoint
    return rec.id


class Backend:
    name: str
    store: Any
    undo: Callable[[str], None]


def sqlite_backend(directory: Path, others: int) -> Backend:
    clock = ManualClock()
    path = directory / f"state-{others}.sqlite3"
    backend = Backend()
    backend.name, backend.store = "sqlite", SqliteStateStore(path, clock=clock)
    populate(backend.store, clock, others)
    side = sqlite3.connect(path, isolation_level=None)
    key = lease_key("acct", "r1", TARGET)

    def undo(deployment_id: str) -> None:
        side.execute("DELETE FROM events WHERE deployment_id = ?", (deployment_id,))
        side.execute("DELETE FROM deployments WHERE id = ?", (deployment_id,))
        side.execute("DELETE FROM leases WHERE key = ?", (key,))

    backend.undo = undo
    return backend


def redis_backend(server: RedisServer, others: int) -> Backend:
    clock = ManualClock()
    prefix = f"bench-{others}"
    client = make_client(RedisOptions(url=server.url, timeout=5.0))
    backend = Backend()
    backend.name = "redis"
    backend.store = RedisStateStore(client, prefix=prefix, clock=clock)
    populate(backend.store, clock, others)
    key = lease_key("acct", "r1", TARGET)
    p = f"{prefix}:{{{prefix}}}"

    def undo(deployment_id: str) -> None:
        pipe = client.pipeline(transaction=False)
        pipe.delete(f"{p}:rec:{deployment_id}", f"{p}:ev:{deployment_id}", f"{p}:lease:{key}")
        for index in (f"{p}:idx:", f"{p}:unf:", f"{p}:cidx:{key}", f"{p}:cunf:{key}"):
            pipe.zrem(index, deployment_id)
        pipe.execute()

    backend.undo = undo
    return backend


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="after", help="names results-<label>.json")
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()

    server = launch_server()
    backends: dict[tuple[str, int], Backend] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="cloudrig-statestore-") as tmp:
            for others in SIZES:
                print(f"populating {others} records...", file=sys.stderr)
                backends["sqlite", others] = sqlite_backend(Path(tmp), others)
                backends["redis", others] = redis_backend(server, others)
            configs = list(backends)
            samples: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
            rng = random.Random(14)
            for config in configs:  # warm up (script loading, page cache)
                backends[config].undo(start_deployment(backends[config].store, ManualClock(), 0))
            for n in range(args.rounds):
                rng.shuffle(configs)
                for config in configs:
                    backend = backends[config]
                    clock = backend.store.clock
                    clock.advance(1)
                    begin = time.perf_counter()
                    deployment_id = start_deployment(backend.store, clock, n + 1)
                    samples[config].append(time.perf_counter() - begin)
                    backend.undo(deployment_id)
            for backend in backends.values():
                backend.store.close()
    finally:
        server.stop()

    results: dict[str, Any] = {
        "label": args.label,
        "cloudrig": str(Path(cloudrig.__file__).parent),
        "rounds": args.rounds,
        "unit": "store operations of one deployment start (see run.py)",
        "backends": {},
    }
    ok = True
    lines = [f"{'backend':<8} {'10 records':>12} {'10,000 records':>16} {'ratio':>7}"]
    for name in ("sqlite", "redis"):
        small, big = (statistics.median(samples[name, size]) for size in SIZES)
        ratio = big / small
        ok = ok and ratio <= BOUND
        results["backends"][name] = {
            "median_ms": {
                str(size): round(statistics.median(samples[name, size]) * 1000, 3) for size in SIZES
            },
            "p90_ms": {
                str(size): round(statistics.quantiles(samples[name, size], n=10)[-1] * 1000, 3)
                for size in SIZES
            },
            "ratio": round(ratio, 2),
        }
        lines.append(f"{name:<8} {small * 1000:>10.3f}ms {big * 1000:>14.3f}ms {ratio:>6.2f}x")
    (HERE / f"results-{args.label}.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(lines))
    print(f"bound: 10,000 within {BOUND}x of 10: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
