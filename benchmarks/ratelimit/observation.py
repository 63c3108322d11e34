"""What the ``cloudrig_request`` hook costs on the limiter's hot path (issue 21, item 1).

Each variant calls a gate in a loop on the in-process backend at a rate that never waits, so only
the Python of the attachment is measured (a cloud request takes milliseconds):

- ``before``: ``Gate`` as it was before the observation hook (its module read from git at
  ``BEFORE``, loaded beside today's, on today's ``Limiter``);
- ``none``: today's ``Gate`` with no plugin implementing ``cloudrig_request`` (the default);
- ``noop``: an observer that does nothing (the tally and the ``RequestObservation`` alone);
- ``otel``: cloudrig-otel's ``Telemetry`` on SDK providers without exporters (span, counter and
  histogram per call).

Both attachment styles: ``send`` (one send function: GCP, Kubernetes) and ``retry`` around an
operation that admits and observes itself (botocore's hooks: AWS). Rounds are paired and
interleaved (every variant once per round, the order rotating), so the machine's noise hits every
variant of a round alike; reported: the median per-call µs and the median of the per-round ratios
to ``before``.

    .venv/bin/python benchmarks/ratelimit/observation.py [--rounds 40] [--calls 2000] [--readme]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BEFORE = "61822cf^"  # the commit before the one that added the observation
MARKERS = ("<!-- observation: written by observation.py --readme -->", "<!-- /observation -->")


def gate_before() -> type:
    """The ``Gate`` class of ``BEFORE``'s ``cloudrig/ratelimit/_gate.py``."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:core/src/cloudrig/ratelimit/_gate.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spec = importlib.util.spec_from_loader("cloudrig.ratelimit._gate_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(source, "_gate_before.py", "exec"), module.__dict__)
    gate: type = module.Gate
    return gate


def variants() -> dict[str, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    from cloudrig._plugins import PluginRegistry
    from cloudrig.ratelimit import AnswerClass, Limit, Limiter, LimitsConfig, Verdict
    from cloudrig.ratelimit._observation import hook_observer
    from cloudrig_otel import Telemetry

    def classify(outcome: Any) -> AnswerClass:
        return AnswerClass(Verdict.OK)

    def limiter() -> Limiter:
        fast = Limit(rate=1e9, burst=1_000_000)
        return Limiter(LimitsConfig(read=fast, mutate=fast))

    telemetry = Telemetry(TracerProvider(), MeterProvider())
    registry = PluginRegistry([telemetry], entry_points=False, environment=False)
    observers: dict[str, Any] = {
        "none": None,
        "noop": lambda observation: None,
        "otel": hook_observer(registry.manager.hook),
    }
    Before = gate_before()
    gates: dict[str, Any] = {
        "before": Before(limiter(), cloud="gcp", identity="p", classify=classify)
    }
    for name, observer in observers.items():
        lim = limiter()
        lim.request_observer = observer
        gates[name] = lim.gate(cloud="gcp", identity="p", classify=classify)
    return gates


def loops(gate: Any, calls: int) -> dict[str, Callable[[], None]]:
    from cloudrig.ratelimit import Call, CallClass

    call = Call("compute", "instances.get", "europe-west1", CallClass.READ)
    answer = object()

    def send() -> None:
        for _ in range(calls):
            gate.send(call, lambda: answer)

    def hooked() -> object:  # what botocore's before-send and needs-retry hooks do
        gate.admit(call)
        gate.observe(call, answer)
        return answer

    def retry() -> None:
        for _ in range(calls):
            gate.retry(call, hooked)

    return {"send": send, "retry": retry}


def measure(rounds: int, calls: int) -> dict[str, Any]:
    gates = variants()
    names = list(gates)
    per_call: dict[str, dict[str, list[float]]] = {
        style: {n: [] for n in names} for style in ("send", "retry")
    }
    bodies = {n: loops(g, calls) for n, g in gates.items()}
    for n in names:  # warm up
        for body in bodies[n].values():
            body()
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for style in ("send", "retry"):
            for n in order:
                start = time.perf_counter()
                bodies[n][style]()
                per_call[style][n].append((time.perf_counter() - start) / calls * 1e6)
    result: dict[str, Any] = {}
    for style, by_name in per_call.items():
        result[style] = {
            n: {
                "median_us": round(statistics.median(values), 3),
                "fastest_us": round(min(values), 3),
                "ratio_to_before": round(
                    statistics.median(
                        v / b for v, b in zip(values, by_name["before"], strict=True)
                    ),
                    4,
                ),
            }
            for n, values in by_name.items()
        }
    return result


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    load = os.getloadavg()
    lines = [
        f"Run of {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} (`.venv/bin/python "
        f"benchmarks/ratelimit/observation.py --rounds {args.rounds} --calls {args.calls}"
        f"{' --readme' if args.readme else ''}`), load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}. Raw figures: "
        "[`observation.json`](observation.json).",
        "",
        "| gate call | variant | median µs/call | fastest round µs/call | ratio to before (median of rounds) |",
        "|---|---|---|---|---|",
    ]
    labels = {
        "before": f"before the hook (`{BEFORE}`)",
        "none": "no `cloudrig_request` plugin (default)",
        "noop": "an observer doing nothing",
        "otel": "cloudrig-otel, SDK without exporters",
    }
    for style, by_name in result.items():
        for name, row in by_name.items():
            lines.append(
                f"| `{style}` | {labels[name]} | {row['median_us']} | {row['fastest_us']} | "
                f"{row['ratio_to_before']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    result = measure(args.rounds, args.calls)
    text = report(result, args)
    print(text)
    if args.readme:
        (HERE / "observation.json").write_text(json.dumps(result, indent=2) + "\n")
        readme = HERE / "README.md"
        content = readme.read_text()
        start = content.index(MARKERS[0]) + len(MARKERS[0])
        end = content.index(MARKERS[1], start)
        readme.write_text(content[:start] + "\n" + text + "\n" + content[end:])


if __name__ == "__main__":
    main()
