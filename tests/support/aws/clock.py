"""The clock the AWS extensions run on: real time by default, frozen and stepped on demand.

One clock is shared by the ECS task model and target health so a test that freezes time sees
tasks and targets move together, only when it calls ``advance``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Monotonic seconds plus an offset that ``advance`` moves; ``freeze`` stops real time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def __call__(self) -> float:
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else time.monotonic()
            return base + self._offset

    def freeze(self) -> None:
        """Step-driven mode: time moves only through ``advance``."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.monotonic()

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset += self._frozen_at - time.monotonic()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def wall(self) -> datetime:
        """Wall-clock time as the model sees it (timestamps in API answers)."""
        with self._lock:
            offset = self._offset
            if self._frozen_at is not None:
                offset += self._frozen_at - time.monotonic()
        return datetime.now(UTC) + timedelta(seconds=offset)
