"""A clock the test controls: time passes only when the test (or a sleeping caller) says so.

Deployments, health waits and rate-limit backoffs all read time through ``cloudrig.Clock``; with a
``ManualClock`` they run in virtual time, so a strategy that waits ten minutes for health takes
microseconds and every run is reproducible.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


class ManualClock:
    """Implements ``cloudrig.Clock``. ``sleep`` advances virtual time at once instead of blocking.

    Thread-safe: concurrent sleepers each advance the shared time by their own delay, which keeps
    time monotonic and every deadline reachable (a sleeper never waits for another thread).
    ``sleeps`` records every requested delay, so tests can assert backoff schedules.
    """

    def __init__(self, start: datetime = DEFAULT_START, *, monotonic_start: float = 1_000.0):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._lock = threading.Lock()
        self._start = start.astimezone(UTC)
        self._monotonic_start = monotonic_start
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return f"<ManualClock {self.now().isoformat()}>"

    def now(self) -> datetime:
        """The virtual time: the start plus every second slept or advanced."""
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """The virtual monotonic time; moves only when the clock sleeps or is advanced."""
        with self._lock:
            return self._monotonic_start + self._elapsed

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the clock was created."""
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass."""
        if seconds < 0:
            raise ValueError(f"time cannot go backwards (advance by {seconds})")
        with self._lock:
            self._elapsed += seconds

    def sleep(self, seconds: float) -> None:
        """Return at once, ``seconds`` later in virtual time (negative delays sleep zero)."""
        with self._lock:
            self.sleeps.append(seconds)
            self._elapsed += max(seconds, 0.0)
