"""A/B of one snippet against copies of the core: which change made the difference, and by how much.

Each variant is a label and a directory put first on ``PYTHONPATH`` (a copy of ``core/src`` with
one change reverted, say) or ``-`` for the installed tree. The snippet runs in a fresh interpreter
per measurement, variants interleaved round-robin after one unrecorded warm-up round, and the time
is taken inside the child around the snippet only, as in ``bench.py``; medians and minimums are
printed with their ratio to the first variant.

    .venv/bin/python benchmarks/discovery/ab.py --runs 21 --snippet list \\
        base=/tmp/v/base/core/src now=-

Snippets: ``list`` (import cloudrig, every entry point's providers), ``help`` (``cloudrig --help``
in process), ``libcloud`` (Libcloud's import + ``get_driver(Provider.EC2)``), ``typer``
(``import typer``). A variant may name its own snippet as ``label=PATH:snippet``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

SNIPPETS = {
    "list": "import cloudrig\n"
    "from cloudrig._plugins import PluginRegistry\n"
    "PluginRegistry().providers\n",
    "help": "import contextlib, io\n"
    "from cloudrig._cli import app\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    app(['--help'], prog_name='cloudrig', standalone_mode=False)\n",
    "libcloud": "from libcloud.compute.providers import get_driver\n"
    "from libcloud.compute.types import Provider\n"
    "get_driver(Provider.EC2)\n",
    "typer": "import typer\n",
}
TIMED = (
    "import time as _t\n_t0 = _t.perf_counter()\n{code}print((_t.perf_counter() - _t0) * 1000)\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--snippet", choices=sorted(SNIPPETS), default="list")
    parser.add_argument("variants", nargs="+", metavar="LABEL=PATH[:SNIPPET]")
    args = parser.parse_args()
    variants = []
    for item in args.variants:
        label, _, rest = item.partition("=")
        path, _, snippet = rest.partition(":")
        variants.append((label, path, SNIPPETS[snippet or args.snippet]))
    times: dict[str, list[float]] = {label: [] for label, _, _ in variants}
    base_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CLOUDRIG_PLUGINS", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH")
    }
    for i in range(args.runs + 1):  # round 0 warms up (bytecode written) and is not recorded
        for label, path, code in variants:
            env = dict(base_env)
            if path != "-":
                env["PYTHONPATH"] = path
            proc = subprocess.run(
                [sys.executable, "-c", TIMED.format(code=code)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            if proc.returncode != 0:
                sys.exit(f"{label}: {proc.stderr.strip()[-500:]}")
            if i:
                times[label].append(float(proc.stdout.split()[-1]))
    first = variants[0][0]
    base_median, base_min = statistics.median(times[first]), min(times[first])
    print(f"| variant | median ms | min ms | median / {first} | min / {first} |")
    print("|---|---:|---:|---:|---:|")
    for label, values in times.items():
        median, low = statistics.median(values), min(values)
        print(
            f"| {label} | {median:.1f} | {low:.1f} | {median / base_median:.2f} | "
            f"{low / base_min:.2f} |"
        )


if __name__ == "__main__":
    main()
