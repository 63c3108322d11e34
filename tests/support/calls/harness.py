"""The call-count harness: how many API requests a scenario makes, by operation, counted where
they cannot hide — at the fault-and-count proxy in front of the test server — and checked against
what cloudrig's limiter admitted.

A provider adds its scenarios in a module of this package (``aws.py`` is the first) exposing
``scenarios() -> list[Scenario]``; ``run.py`` runs every module in ``MODULES`` and records the
results. A scenario gets a ``Counter`` (the proxy's endpoint and counts) and returns the limiter it
used (or ``None`` for a hand-written baseline that has none); only what happens inside
``counter.measure()`` is counted, so setup (the previous version, the load balancer) is free.
"""

from __future__ import annotations

import contextlib
import json
import platform
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

RESULTS = Path(__file__).resolve().parents[3] / "benchmarks" / "calls"
"""Where the runners in ``benchmarks/calls/`` record what the scenarios measured."""


class CountingProxy(Protocol):
    url: str

    def counts(self) -> dict[str, dict[str, int]]: ...

    def clear_counts(self) -> None: ...


@dataclass
class Counter:
    """The endpoint a scenario must use, and the window it is counted in."""

    proxy: CountingProxy
    by_operation: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.proxy.url

    @contextlib.contextmanager
    def measure(self) -> Iterator[None]:
        self.proxy.clear_counts()
        yield
        counts = self.proxy.counts()
        merged: dict[str, int] = {}
        for part in ("forwarded", "answered"):
            for op, n in counts[part].items():
                merged[op] = merged.get(op, 0) + n
        self.by_operation = dict(sorted(merged.items()))


@dataclass(frozen=True)
class Scenario:
    name: str
    cloud: str
    description: str
    run: Callable[[Counter], Any]
    """Returns the Limiter it used (its admissions are compared), or None."""
    budget: int | None = None
    """The most requests the scenario may make (the issue's bound), if any."""


@dataclass
class Result:
    name: str
    cloud: str
    description: str
    total: int
    by_operation: dict[str, int]
    admitted: int | None
    budget: int | None
    reads: dict[str, int] | None = None
    """How the limiter's read cache served the scenario's reads (``cache_reads``), if recorded."""

    @property
    def within_budget(self) -> bool:
        return self.budget is None or self.total <= self.budget


def admitted(limiter: Any, since: dict[str, int] | None = None) -> int:
    """Requests the limiter admitted (minus a snapshot taken before the window)."""
    stats = {name: s.admitted for name, s in limiter.stats().items()}
    before = since or {}
    return sum(n - before.get(name, 0) for name, n in stats.items())


def snapshot(limiter: Any) -> dict[str, int]:
    return {name: s.admitted for name, s in limiter.stats().items()}


@dataclass(frozen=True)
class Outcome:
    """What a scenario returns when it also records its reads (else it returns ``admitted``)."""

    admitted: int
    reads: dict[str, int]


def cache_reads(limiter: Any, since: dict[str, int] | None = None) -> dict[str, int]:
    """The read cache's counters (minus a snapshot taken before the window): ``polls`` (loads a
    shared answer could serve: at most one per key per TTL however many callers poll),
    ``after_own_write`` (loads because the shared answer predated the caller's own write),
    ``decision`` (fresh reads: one per caller by design), ``served`` (hits and coalesced)."""
    cache = limiter.cache
    now = {
        "polls": cache.loads - cache.own_write_loads,
        "after_own_write": cache.own_write_loads,
        "decision": cache.fresh_loads,
        "served": cache.hits + cache.coalesced,
    }
    before = since or {}
    return {k: v - before.get(k, 0) for k, v in now.items()}


def measure(scenario: Scenario, make_proxy: Callable[[], CountingProxy]) -> Result:
    counter = Counter(make_proxy())
    outcome = scenario.run(counter)
    total = sum(counter.by_operation.values())
    if isinstance(outcome, Outcome):
        admitted_, reads = outcome.admitted, outcome.reads
    else:
        admitted_, reads = (outcome if isinstance(outcome, int) else None), None
    return Result(
        scenario.name,
        scenario.cloud,
        scenario.description,
        total,
        counter.by_operation,
        admitted_,
        scenario.budget,
        reads,
    )


def table(results: list[Result]) -> str:
    lines = [
        "| scenario | requests | admitted by the limiter | budget | by operation |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        ops = ", ".join(f"{op} {n}" for op, n in r.by_operation.items())
        lines.append(
            f"| {r.name} | {r.total} | {'-' if r.admitted is None else r.admitted} | "
            f"{'-' if r.budget is None else r.budget} | {ops} |"
        )
    return "\n".join(lines)


def record(results: list[Result], path: Path) -> None:
    doc = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "results": [asdict(r) | {"within_budget": r.within_budget} for r in results],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
