"""Per-bucket counters: what an operator looks at to see whether budgets fit the workload."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace


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


@dataclass
class StatsRegistry:
    """Thread-safe counters per bucket name."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stats: dict[str, BucketStats] = field(default_factory=dict)

    def record(self, bucket: str, **changes: float | int | bool) -> BucketStats:
        """Add numeric counters (``admitted=1``), set ``factor`` and ``fallback_active``."""
        with self._lock:
            current = self._stats.get(bucket, BucketStats())
            updates: dict[str, float | int | bool] = {}
            for name, value in changes.items():
                if name in ("factor", "fallback_active"):
                    updates[name] = value
                else:
                    updates[name] = getattr(current, name) + value
            new = self._stats[bucket] = replace(current, **updates)  # type: ignore[arg-type]
            return new

    def snapshot(self) -> dict[str, BucketStats]:
        with self._lock:
            return dict(self._stats)
