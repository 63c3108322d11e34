"""A controllable clock: real time by default, frozen and stepped by tests that need determinism.

Instance state transitions and DELETING periods are computed from this clock at read time, so a
test either waits real (short) time or calls :meth:`Clock.advance` and sees the next state at once.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Monotonic seconds plus a test-controlled offset; optionally frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else time.monotonic()
            return base + self._offset

    def wall(self) -> float:
        """Wall-clock seconds shifted by the same offset (for RFC 3339 timestamps)."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move time forward, frozen or not."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds

    def freeze(self) -> None:
        """Stop real time: only :meth:`advance` moves the clock from now on."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.monotonic()

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset += self._frozen_at - time.monotonic()
                self._frozen_at = None

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
