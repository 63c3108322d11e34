"""Discovery cost: cloudrig's plugin discovery against Apache Libcloud's driver lookup.

Measures, side by side in one run, the time and the number of modules loaded to

  (a) import the library's API                 ``import cloudrig``  vs  libcloud's compute API
  (b) list every provider                      ``PluginRegistry()`` (entry points) vs ``DRIVERS``
  (c) get one provider class and instantiate it, no network
        cloudrig: ``registry.implementation(name)`` + ``cls(ProviderContext(...))`` for the
        reference provider, the example provider and every other installed provider whose
        settings can be made up offline
        libcloud: ``get_driver(Provider.EC2)`` + ``cls(key, secret, region=...)``
  (h) the command line's help                  ``cloudrig --help``  vs  ``python -c "import typer"``

Every measurement runs in a fresh interpreter (so module caches never help), several repetitions
interleaved round-robin (so drift in machine load hits every scenario alike) after one unrecorded
warm-up round (bytecode written, files cached, as on a machine in use); the median is kept.
Time is measured inside the child around the operation only (interpreter start-up is the same for
both libraries and is reported separately as the process wall time). Modules loaded = entries
added to ``sys.modules`` by the operation. Cloud SDK modules loaded are listed: (a) and (b) must
load none. The targets of issue 13 are checked on the ratios: listing every provider (b, import
included) at most 1.0x Libcloud's import + ``get_driver(Provider.EC2)``, and ``cloudrig --help`` at
most 2x a bare ``python -c "import typer"`` (both commands run as a user runs them: process wall).

    .venv/bin/python benchmarks/discovery/bench.py            # 15 repetitions, writes results.json
    .venv/bin/python benchmarks/discovery/bench.py --runs 5 --settings aws='{"regions": ["us-east-1"]}'
    .venv/bin/python benchmarks/discovery/bench.py --runs 9 --only cloudrig.list,libcloud.get_driver
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLOUD_SDKS = ("boto3", "botocore", "google", "kubernetes", "httpx", "requests", "urllib3")
TOKEN_ENV = "CLOUDRIG_BENCH_TOKEN"

# Offline settings for the providers whose settings need more than regions. Anything else is tried
# with its first region only; ``--settings NAME=JSON`` adds or overrides.
KNOWN_SETTINGS: dict[str, dict[str, Any]] = {
    "reference": {"regions": ["reference-1"]},
    "example": {
        "regions": ["eu-west"],
        "endpoint": "http://127.0.0.1:9",  # discard port: never contacted
        "token": f"env:{TOKEN_ENV}",
    },
    # Static keys and a known account id, like libcloud's (key, secret): no STS call, no network.
    "aws": {
        "regions": ["us-east-1"],
        "access_key_id": f"env:{TOKEN_ENV}",
        "secret_access_key": f"env:{TOKEN_ENV}",
        "account_id": "123456789012",
    },
    # An emulator's endpoint and no credentials: nothing to look up, nothing contacted.
    "gcp": {
        "regions": ["us-central1"],
        "project": "bench-project-1",
        "anonymous": True,
        "api_endpoint": "http://127.0.0.1:9",
    },
    # A namespace of the cluster in KUBECONFIG, a file the script writes (below): the API server
    # named there (the discard port) is never contacted while the provider is made.
    "kubernetes": {"regions": ["default"]},
}
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: bench, user: {token: not-a-secret}}]
contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: default}}]
current-context: bench
"""

CHILD = """\
import sys, time
_before = set(sys.modules)
_t0 = time.perf_counter()
{body}
_elapsed = time.perf_counter() - _t0
import json as _json
_new = set(sys.modules) - _before
_sdk = sorted(m for m in _new if m.split(".")[0] in {sdks!r})
_top = {{}}
for _m in _new:
    _top[_m.split(".")[0]] = _top.get(_m.split(".")[0], 0) + 1
_out = {{"seconds": _elapsed, "modules": len(_new), "sdk": _sdk, "top": _top, "info": _info}}
print(_json.dumps(_out))
"""


@dataclass
class Scenario:
    key: str
    library: str
    step: str  # a, b or c
    label: str
    body: str
    # A command run as a user runs it (output discarded): only its process wall time is known.
    argv: list[str] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    error: str | None = None

    def run_once(self, env: dict[str, str]) -> None:
        if self.argv is not None:
            start = time.perf_counter()
            proc = subprocess.run(
                self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                self.error = proc.stderr.decode(errors="replace").strip()[-200:] or "failed"
                return
            self.runs.append({"seconds": wall, "modules": None, "sdk": [], "top": {}, "info": ""})
            self.walls.append(wall)
            return
        code = CHILD.format(body=self.body, sdks=CLOUD_SDKS)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            self.error = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
            return
        self.runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        self.walls.append(wall)

    def summary(self) -> dict[str, Any]:
        if not self.runs:
            return {
                "library": self.library,
                "step": self.step,
                "label": self.label,
                "error": self.error,
            }
        seconds = [r["seconds"] for r in self.runs]
        return {
            "library": self.library,
            "step": self.step,
            "label": self.label,
            "runs": len(seconds),
            "median_ms": round(statistics.median(seconds) * 1000, 2),
            "min_ms": round(min(seconds) * 1000, 2),
            "max_ms": round(max(seconds) * 1000, 2),
            "modules": (None if self.argv else statistics.median(r["modules"] for r in self.runs)),
            "command": shlex.join(_display(self.argv)) if self.argv else None,
            "sdk_modules": sorted({m for r in self.runs for m in r["sdk"]}),
            "process_wall_median_ms": round(statistics.median(self.walls) * 1000, 1),
            # Where the modules come from: the ten biggest top-level packages.
            "top_packages": dict(sorted(self.runs[-1]["top"].items(), key=lambda kv: -kv[1])[:10]),
            "info": self.runs[-1]["info"],
        }


def _display(argv: list[str]) -> list[str]:
    """argv with this interpreter's paths relative to the working directory, as documented."""
    cwd = os.getcwd()
    return [os.path.relpath(a) if a.startswith(cwd + os.sep) else a for a in argv]


def installed_providers(env: dict[str, str]) -> list[str]:
    code = (
        "from cloudrig._plugins import PluginRegistry\n"
        "print('\\n'.join(sorted(PluginRegistry().providers)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return out.stdout.split()


def instantiate_body(name: str, plugins: list[str], settings: dict[str, Any]) -> str:
    return (
        "import cloudrig\n"
        "from cloudrig._plugins import PluginRegistry\n"
        f"_r = PluginRegistry({plugins!r})\n"
        f"_cls = _r.implementation({name!r})\n"
        f"_s = _r.provider({name!r}).descriptor.account_settings.model_validate({settings!r})\n"
        "_p = _cls(cloudrig.provider.ProviderContext(account='bench', settings=_s))\n"
        "_info = f'{type(_p).__module__}.{type(_p).__qualname__}'\n"
    )


def scenarios(providers: list[str], extra_settings: dict[str, dict[str, Any]]) -> list[Scenario]:
    found = [
        Scenario(
            "cloudrig.import",
            "cloudrig",
            "a",
            "import cloudrig",
            "import cloudrig\n_info = cloudrig.__version__\n",
        ),
        Scenario(
            "libcloud.import",
            "libcloud",
            "a",
            "import libcloud.compute.providers, libcloud.compute.types",
            "import libcloud\nfrom libcloud.compute.providers import get_driver\n"
            "from libcloud.compute.types import Provider\n_info = libcloud.__version__\n",
        ),
        # Components of (a), for reading it: what cloudrig's dependencies cost on their own.
        Scenario(
            "component.redis",
            "component",
            "a",
            "import redis (loaded only by the Redis limiter backend)",
            "import redis\n_info = redis.__version__\n",
        ),
        Scenario(
            "component.deps",
            "component",
            "a",
            "import pydantic, pluggy, yaml, tenacity",
            "import pydantic, pluggy, yaml, tenacity\n_info = pydantic.VERSION\n",
        ),
        Scenario(
            "cloudrig.list",
            "cloudrig",
            "b",
            "PluginRegistry() (every entry point)",
            "import cloudrig\n"
            "from cloudrig._plugins import PluginRegistry\n"
            "_info = sorted(PluginRegistry().providers)\n",
        ),
        Scenario(
            "cloudrig.cli.providers",
            "cloudrig",
            "b",
            "the `cloudrig providers` command (typer + rich table, output discarded)",
            "import contextlib, io\n"
            "from cloudrig._cli import app\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    app(['providers'], prog_name='cloudrig', standalone_mode=False)\n"
            "_info = 'cli'\n",
        ),
        Scenario(
            "libcloud.list",
            "libcloud",
            "b",
            "compute DRIVERS table",
            "from libcloud.compute.providers import DRIVERS\n_info = len(DRIVERS)\n",
        ),
        # What no listing can go below while plugins are found through entry points and
        # registered with pluggy: the imports and the entry-point scan, with no plugin loaded.
        Scenario(
            "component.list_floor",
            "component",
            "b",
            "import cloudrig, pluggy, importlib.metadata + the cloudrig entry-point scan",
            "import cloudrig, pluggy, importlib.metadata\n"
            "_info = len(list(importlib.metadata.entry_points(group='cloudrig')))\n",
        ),
        # The comparator of the listing target: what a Libcloud program does before it has a
        # provider class (import + lookup), with nothing else.
        Scenario(
            "libcloud.get_driver",
            "libcloud",
            "b",
            "import + get_driver(Provider.EC2)",
            "from libcloud.compute.providers import get_driver\n"
            "from libcloud.compute.types import Provider\n"
            "_cls = get_driver(Provider.EC2)\n"
            "_info = _cls.__name__\n",
        ),
        # (h) The command line's help, against the library it is built on.
        Scenario(
            "cloudrig.cli.help",
            "cloudrig",
            "h",
            "`cloudrig --help` in process (output discarded)",
            "import contextlib, io\n"
            "from cloudrig._cli import app\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    app(['--help'], prog_name='cloudrig', standalone_mode=False)\n"
            "_info = 'help'\n",
        ),
        Scenario(
            "component.typer",
            "component",
            "h",
            "import typer",
            "import typer\n_info = 'typer'\n",
        ),
        Scenario(
            "cloudrig.cli.help.command",
            "cloudrig",
            "h",
            "command: cloudrig --help",
            "",
            argv=[str(Path(sys.executable).with_name("cloudrig")), "--help"],
        ),
        Scenario(
            "component.typer.command",
            "component",
            "h",
            "command: python -c 'import typer'",
            "",
            argv=[sys.executable, "-c", "import typer"],
        ),
        Scenario(
            "libcloud.instantiate.ec2",
            "libcloud",
            "c",
            "get_driver(Provider.EC2) + EC2NodeDriver(key, secret, region)",
            "from libcloud.compute.providers import get_driver\n"
            "from libcloud.compute.types import Provider\n"
            "_cls = get_driver(Provider.EC2)\n"
            "_d = _cls('AKIDEXAMPLE', 'not-a-secret', region='us-east-1')\n"
            "_info = type(_d).__name__\n",
        ),
    ]
    settings = {**KNOWN_SETTINGS, **extra_settings}
    targets = [("reference", ["cloudrig.testing.reference"])]
    targets += [(name, []) for name in providers if name != "reference"]
    for name, plugins in targets:
        values = settings.get(name, {"regions": ["us-east-1"]})
        found.append(
            Scenario(
                f"cloudrig.instantiate.{name}",
                "cloudrig",
                "c",
                f"implementation('{name}') + instantiate",
                instantiate_body(name, plugins, values),
            )
        )
    return found


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "unknown"
    from importlib.metadata import version

    def v(dist: str) -> str:
        try:
            return version(dist)
        except Exception:
            return "not installed"

    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "versions": {d: v(d) for d in ("cloudrig", "apache-libcloud", "pydantic", "pluggy")},
    }


# The targets of issue 13 ("a fast start"): ratio label -> the most the ratio of medians may be.
TARGETS = {
    "b list providers vs import + get_driver(EC2)": 1.0,
    "h cloudrig --help vs python -c 'import typer' (commands, process wall)": 2.0,
}


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """cloudrig / comparator per step: below 1 means cloudrig is cheaper."""
    pairs = {
        "a import": ("cloudrig.import", "libcloud.import"),
        "b list providers": ("cloudrig.list", "libcloud.list"),
        "b list providers vs import + get_driver(EC2)": ("cloudrig.list", "libcloud.get_driver"),
        "b (floor: pluggy + importlib.metadata + entry-point scan) vs import + get_driver(EC2)": (
            "component.list_floor",
            "libcloud.get_driver",
        ),
        "h cloudrig --help vs python -c 'import typer' (commands, process wall)": (
            "cloudrig.cli.help.command",
            "component.typer.command",
        ),
        "h --help in process vs import typer (time in the child)": (
            "cloudrig.cli.help",
            "component.typer",
        ),
    }
    for key in results:
        if key.startswith("cloudrig.instantiate."):
            pairs[f"c get + instantiate ({key.rsplit('.', 1)[1]} vs EC2)"] = (
                key,
                "libcloud.instantiate.ec2",
            )
    out: dict[str, dict[str, float | None]] = {}
    for label, (ours, theirs) in pairs.items():
        a, b = results.get(ours, {}), results.get(theirs, {})
        if "median_ms" in a and "median_ms" in b:
            out[label] = {
                "time": round(a["median_ms"] / b["median_ms"], 2),
                # the minimum is the least disturbed run: the better estimate on a loaded machine
                "time_of_minimums": round(a["min_ms"] / b["min_ms"], 2),
                "modules": round(a["modules"] / b["modules"], 2) if b["modules"] else None,
                "target": TARGETS.get(label),
            }
    return out


def markdown(results: dict[str, dict[str, Any]], rat: dict[str, dict[str, float | None]]) -> str:
    lines = [
        "| step | library | what | median ms | min ms | modules loaded | cloud SDK / HTTP client modules | process wall ms |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for r in sorted(results.values(), key=lambda r: (r["step"], r["library"])):
        if "median_ms" not in r:
            lines.append(
                f"| {r['step']} | {r['library']} | {r['label']} | failed: {r['error']} | | | | |"
            )
            continue
        if r["modules"] is None:  # a command: its time is its process wall
            modules, sdk = "-", "-"
        else:
            modules = f"{r['modules']:g}"
            sdk = ", ".join(sorted({m.split(".")[0] for m in r["sdk_modules"]})) or "none"
        lines.append(
            f"| {r['step']} | {r['library']} | {r['label']} | {r['median_ms']} | {r['min_ms']} | "
            f"{modules} | {sdk} | {r['process_wall_median_ms']} |"
        )
    lines += [
        "",
        "| ratio cloudrig / comparator | time (medians) | time (minimums) | modules | target |",
        "|---|---:|---:|---:|---|",
    ]
    for k, v in rat.items():
        target = v["target"]
        verdict = ""
        if target is not None and v["time"] is not None:
            verdict = f"≤ {target:g}: " + ("met" if v["time"] <= target else "NOT met")
        modules = "-" if v["modules"] is None else v["modules"]
        lines.append(f"| {k} | {v['time']} | {v['time_of_minimums']} | {modules} | {verdict} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="repetitions per scenario")
    parser.add_argument(
        "--output", type=Path, default=None, help="default: results.json beside this script"
    )
    parser.add_argument(
        "--settings",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="offline account settings for an installed provider",
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="KEY,...",
        help="run only the scenarios whose key starts with one of these prefixes "
        "(e.g. cloudrig.list,libcloud.get_driver); results.json is then not written "
        "unless --output is given",
    )
    args = parser.parse_args()
    extra = {}
    for item in args.settings:
        name, _, value = item.partition("=")
        extra[name] = json.loads(value)

    load_before = os.getloadavg()[0]
    # As an installation runs: bytecode is written and used (an environment that forbids writing
    # it would recompile every edited module of an editable install in every child).
    dropped = ("CLOUDRIG_PLUGINS", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env[TOKEN_ENV] = "benchmark-token-not-a-secret"
    providers = installed_providers(env)
    todo = scenarios(providers, extra)
    only = tuple(p for p in args.only.split(",") if p)
    if only:
        todo = [s for s in todo if s.key.startswith(only)]
    with tempfile.TemporaryDirectory() as tmp:
        env["KUBECONFIG"] = str(Path(tmp) / "kubeconfig")
        Path(env["KUBECONFIG"]).write_text(KUBECONFIG, encoding="utf-8")
        for scenario in todo:  # warm-up, not recorded: bytecode written, files in the page cache
            scenario.run_once(env)
            scenario.runs.clear()
            scenario.walls.clear()
        for i in range(args.runs):
            for scenario in todo:  # round-robin: load drift hits every scenario alike
                if scenario.error is None:
                    scenario.run_once(env)
            print(f"run {i + 1}/{args.runs}", file=sys.stderr)
    results = {s.key: s.summary() for s in todo}
    rat = ratios(results)
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else "python"
    command = shlex.join([python, os.path.relpath(__file__), *sys.argv[1:]])
    report = {
        "command": command,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        # The machine may be shared: the 1-minute load average before and after the run.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "installed_providers": providers,
        "results": results,
        "ratios": rat,
    }
    output = args.output or (None if only else HERE / "results.json")
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(results, rat))


if __name__ == "__main__":
    main()
