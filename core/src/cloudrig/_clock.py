"""Time as a dependency: the core and providers read time and sleep only through a ``Clock``, so
tests run deployments in virtual time (see ``cloudrig.testing.ManualClock``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What the core and providers read time from; ``SystemClock`` in production,
    ``cloudrig.testing.ManualClock`` in tests (virtual time: sleeping advances it)."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for deadlines and intervals."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (nothing for zero or less)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)`` for a positive duration."""
        if seconds > 0:
            time.sleep(seconds)
