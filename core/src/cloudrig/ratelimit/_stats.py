"""Per-bucket counters: what an operator looks at to see whether budgets fit the workload."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BucketStats:
    """Counters of one bucket in this process since the limiter was created."""

    admitted: int = 0
    """Requests let through (each spent one slot, or passed a fail-open fallback)."""
    waited: float = 0.0
    """Seconds spent in total sleeping until admitted requests' slots."""
    denied: int = 0
    """Requests refused: the slot was further away than the caller's timeout, or fail-closed."""
    throttles: int = 0
    """Throttling answers from the cloud reported for the bucket."""
    factor: float = 1.0
    """The adaptive share of the configured rate last seen (1.0: full rate)."""
    fallback: int = 0
    """Decisions taken by the fallback because Redis was unreachable."""
    fallback_active: bool = False
    """Whether the last decision was the fallback's."""
    forfeited: int = 0
    """Slots given up because this process woke too late to use them (an overloaded host): it
    took a fresh slot rather than send in a bunch with the next slots' owners."""


class StatsRegistry:
    """Thread-safe counters per bucket name. Mutable lists under one lock on the hot path (an
    admission is counted in well under a microsecond); ``snapshot`` builds the frozen view."""

    _FIELDS = (
        "admitted",
        "waited",
        "denied",
        "throttles",
        "factor",
        "fallback",
        "fallback_active",
        "forfeited",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[str, list[Any]] = {}

    def _row(self, bucket: str) -> list[Any]:
        row = self._stats.get(bucket)
        if row is None:
            row = self._stats[bucket] = [0, 0.0, 0, 0, 1.0, 0, False, 0]
        return row

    def admitted(self, bucket: str, waited: float, factor: float, fallback: bool) -> None:
        with self._lock:
            row = self._stats.get(bucket) or self._row(bucket)  # every request: one call less
            row[0] += 1
            row[1] += waited
            row[4] = factor
            row[5] += fallback
            row[6] = fallback

    def denied(self, bucket: str, factor: float, fallback: bool) -> None:
        with self._lock:
            row = self._row(bucket)
            row[2] += 1
            row[4] = factor
            row[5] += fallback
            row[6] = fallback

    def forfeited(self, bucket: str) -> None:
        with self._lock:
            self._row(bucket)[7] += 1

    def throttled(self, bucket: str, factor: float) -> None:
        with self._lock:
            row = self._row(bucket)
            row[3] += 1
            row[4] = factor

    def snapshot(self) -> dict[str, BucketStats]:
        with self._lock:
            return {
                name: BucketStats(**dict(zip(self._FIELDS, row, strict=True)))
                for name, row in self._stats.items()
            }
