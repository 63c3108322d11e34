"""A/B of cloudrig's uncontended acquire: the working tree against an earlier revision.

    .venv/bin/python benchmarks/ratelimit/ab.py [--rev REV] [--runs 8] [--readme]
    .venv/bin/python benchmarks/ratelimit/ab.py --contention [--runs 3]   # utilization instead

Both sides run ``run.py``'s uncontended scenario (paired rounds: trivial ``EVALSHA``, then one
acquire, on the limiter's own client) against one ``redis-server``, each in a fresh process whose
``cloudrig`` comes either from ``git archive REV`` or from the working tree. The processes
alternate (A B, B A, A B, …) so load on the shared machine hits both sides alike; each reports
the median and fastest-round ratio of its rounds, and the medians of those are compared.
With ``--contention`` each process runs ``run.py``'s contention scenario instead (4 workers, 10 s,
then again with one clock skewed) and the utilizations are compared: they fall with the load of
the machine (a worker that wakes late gives its slot up), so only alternating runs compare.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AB_COST = ("<!-- ab: written by ab.py --readme -->", "<!-- /ab -->")
AB_CONTENTION = ("<!-- ab-contention: written by ab.py --contention --readme -->", "<!-- /ab -->")


def write_readme(markers: tuple[str, str], report: str) -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    start = text.index(markers[0]) + len(markers[0])
    end = text.index(markers[1], start)
    readme.write_text(text[:start] + "\n" + report + "\n" + text[end:])


def export(rev: str, into: Path) -> Path:
    """``core/src/cloudrig`` as of ``rev``, unpacked under ``into``; returns its ``src``."""
    data = subprocess.run(
        ["git", "archive", rev, "core/src/cloudrig"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "core" / "src"


def measure(src: Path, url: str, rounds: int, contention: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}  # before the editable install's path
    flags = ["--contention"] if contention else []
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, "--rounds", str(rounds), *flags],
        env=env, capture_output=True, text=True, check=True, cwd=HERE,
    ).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(out)
    return result


class _Server:
    """What ``run.contention`` uses of a ``RedisServer``: its URL and ``flushall``."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self._client = redis.Redis.from_url(url)

    def flushall(self) -> None:
        self._client.flushall()


def child(url: str, rounds: int, contention: bool) -> None:
    sys.path.insert(0, str(HERE))
    import adapters
    import run

    import cloudrig

    adapters.count_round_trips()  # as in run.py, so both measure the same client
    result: dict[str, Any]
    if contention:
        server: Any = _Server(url)
        result = {
            "plain": run.contention("cloudrig", server, 10.0, [0, 0, 0, 0]),
            "skewed": run.contention("cloudrig", server, 10.0, [0.25, 0, 0, 0]),
            "load": os.getloadavg()[0],
        }
    else:
        result = run.paired_rounds(adapters.make("cloudrig", url, 1e6), rounds, 250)
    result["cloudrig_from"] = str(Path(cloudrig.__file__).parent)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="9ad7d01^", help="the revision to compare against")
    parser.add_argument("--runs", type=int, default=8, help="processes per side")
    parser.add_argument("--rounds", type=int, default=20, help="paired rounds per process")
    parser.add_argument("--readme", action="store_true", help="write the result into README.md")
    parser.add_argument("--contention", action="store_true", help="compare utilization instead")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds, args.contention)
        return
    sys.path[:0] = [str(HERE), str(HERE.parent.parent / "tests")]
    from support.redis_servers import launch_server

    sides = {args.rev: Path(), "working tree": ROOT / "core" / "src"}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    load_before = os.getloadavg()
    server = launch_server()
    with tempfile.TemporaryDirectory() as tmp:
        sides[args.rev] = export(args.rev, Path(tmp))
        try:
            for i in range(args.runs):
                order = list(sides) if i % 2 == 0 else list(reversed(sides))
                for name in order:
                    server.flushall()
                    runs[name].append(
                        measure(sides[name], server.url, args.rounds, args.contention)
                    )
        finally:
            server.stop()
    load_after = os.getloadavg()
    if args.contention:
        contention_report(args, runs)
        return
    lines = [
        f"A/B (`.venv/bin/python benchmarks/ratelimit/ab.py {' '.join(sys.argv[1:])}`): "
        f"{args.runs} alternating processes per side, {args.rounds} paired rounds of 250 each; "
        f"load average before/after {load_before[0]:.1f} / {load_after[0]:.1f}.",
        "",
        "| cloudrig | acquire / trivial, median of runs' medians | of runs' fastest-round ratios "
        "| best run's median | trivial µs (median) | acquire µs (median) |",
        "|---|---|---|---|---|---|",
    ]
    for name, results in runs.items():
        medians = [r["ratio_median"] for r in results]
        lines.append(
            f"| {name} | {statistics.median(medians):.2f} "
            f"| {statistics.median(r['ratio_fastest'] for r in results):.2f} "
            f"| {min(medians):.2f} "
            f"| {statistics.median(r['trivial_evalsha_us'] for r in results):.1f} "
            f"| {statistics.median(r['acquire_us'] for r in results):.1f} |"
        )
    report = "\n".join(lines)
    (HERE / "ab.json").write_text(json.dumps({"rev": args.rev, "runs": runs}, indent=2) + "\n")
    print(report)
    if args.readme:
        write_readme(AB_COST, report)


def contention_report(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]]) -> None:
    lines = [
        f"A/B of utilization (`.venv/bin/python benchmarks/ratelimit/ab.py "
        f"{' '.join(sys.argv[1:])}`), alternating runs, in the order run:",
        "",
        "| cloudrig | run | load | utilization | slots given up (woke > 5 ms late) "
        "| skewed: utilization | given up |",
        "|---|---|---|---|---|---|---|",
    ]
    for i in range(args.runs):
        order = list(runs) if i % 2 == 0 else list(reversed(runs))
        for name in order:
            r = runs[name][i]
            lines.append(
                f"| {name} | {i + 1} | {r['load']:.1f} | {r['plain']['utilization']} "
                f"| {r['plain'].get('forfeited')} | {r['skewed']['utilization']} "
                f"| {r['skewed'].get('forfeited')} |"
            )
    report = "\n".join(lines)
    print(report)
    (HERE / "ab-contention.json").write_text(
        json.dumps({"rev": args.rev, "runs": runs}, indent=2) + "\n"
    )
    if args.readme:
        write_readme(AB_CONTENTION, report)


if __name__ == "__main__":
    main()
