"""The local backend: GCRA in process, thread-safe, on an injectable clock. No server needed.

It is the default backend, and the Redis backend's conservative fallback (at ``scale`` < 1 of each
budget) while Redis is unreachable. It computes in integer microseconds like the Redis script, so
both decide identically.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from cloudrig._clock import Clock, SystemClock
from cloudrig.ratelimit._backend import AdaptiveParams, Backend, Reservation
from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._options import AdaptiveOptions


@dataclass
class _Adaptive:
    factor_pm: float
    since_us: int
    last_cut_us: int


class LocalBackend(Backend):
    """Buckets in this process only. ``scale`` multiplies every rate (and burst, at least 1)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        adaptive: AdaptiveOptions | None = None,
        scale: float = 1.0,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.adaptive = AdaptiveParams.from_options(adaptive or AdaptiveOptions())
        self.scale = scale
        self._lock = threading.Lock()
        self._tat: dict[str, int] = {}
        self._adapt: dict[str, _Adaptive] = {}

    def _now_us(self) -> int:
        return int(self.clock.monotonic() * 1_000_000)

    def _factor_pm(self, name: str, now_us: int) -> float:
        state = self._adapt.get(name)
        if state is None:
            return 1000.0
        factor = self.adaptive.current(state.factor_pm, state.since_us, now_us)
        if factor >= 1000:
            del self._adapt[name]
        return factor

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        with self._lock:
            now = self._now_us()
            factor = self._factor_pm(bucket.name, now)
            interval = math.ceil(1e6 / (bucket.limit.rate * self.scale) * 1000 / factor)
            burst = max(1, int(bucket.limit.burst * self.scale))
            tat = max(self._tat.get(bucket.name, now), now)
            slot = max(tat - (burst - 1) * interval, now)
            wait = slot - now
            if wait > max_wait * 1e6:
                return Reservation(False, wait / 1e6, slot, factor / 1000)
            self._tat[bucket.name] = tat + interval
            self._forget_idle(now)
            return Reservation(True, wait / 1e6, slot, factor / 1000)

    def report_throttle(self, bucket: Bucket) -> float:
        with self._lock:
            now = self._now_us()
            state = self._adapt.get(bucket.name)
            if state is not None and now - state.last_cut_us < self.adaptive.cooldown_us:
                return self.adaptive.current(state.factor_pm, state.since_us, now) / 1000
            current = self._factor_pm(bucket.name, now)
            factor = max(
                float(self.adaptive.floor_pm), math.floor(current * self.adaptive.decrease)
            )
            self._adapt[bucket.name] = _Adaptive(factor, now, now)
            return factor / 1000

    def _forget_idle(self, now: int) -> None:
        # Bounded memory without a background thread: past-due buckets hold no information.
        if len(self._tat) > 4096:
            for name in [n for n, tat in self._tat.items() if tat <= now]:
                del self._tat[name]
