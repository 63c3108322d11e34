"""Run every call-count scenario and record the results (``results.json``, table on stdout).

    .venv/bin/python benchmarks/calls/run.py            # all modules in MODULES

Each provider adds its module name to ``MODULES``. The scenarios run against the test servers of
``tests/support`` (moto in server mode here), behind the fault-and-count proxy.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.calls.harness import Result, measure, record, table  # noqa: E402

MODULES = ["aws"]


def main() -> int:
    from support.aws.server import MotoServer
    from support.proxy import FaultProxy

    results: list[Result] = []
    moto = MotoServer()
    proxies: list[FaultProxy] = []

    def make_proxy() -> FaultProxy:
        proxies.append(FaultProxy(moto.url).start())
        return proxies[-1]

    try:
        for module in MODULES:
            scenarios = __import__(f"support.calls.{module}", fromlist=["scenarios"]).scenarios(
                moto
            )
            for scenario in scenarios:
                moto.reset()
                results.append(measure(scenario, make_proxy))
                print(f"{scenario.name}: {results[-1].total} requests", file=sys.stderr)
    finally:
        for proxy in proxies:
            proxy.stop()
        moto.stop()
    record(results, HERE / "results.json")
    print(table(results))
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
