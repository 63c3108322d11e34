"""What a limiter backend does: reserve a slot in a bucket (GCRA) and react to throttling.

GCRA (the generic cell rate algorithm) keeps one number per bucket, the theoretical arrival time
``tat``: when the next request would be due if requests came exactly at the rate. A request at
``now`` conforms when ``tat - now <= tau`` with ``tau = (burst - 1) * interval``; its slot is
``max(tat, now) - tau`` and admitting it moves ``tat`` one interval on. Reserving instead of asking
"may I go now?" is what makes a blocking acquire cost one round trip: the answer says *when*, the
slot is already spent, and the caller sleeps until it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._options import AdaptiveOptions


class Reservation(NamedTuple):
    """A backend's answer. When ``granted`` the slot is spent and the caller sleeps ``wait``
    seconds before sending; otherwise nothing was spent and ``wait`` is how long until the bucket
    could grant one. ``slot`` is the slot's time on the deciding clock (microseconds; the Redis
    server's clock for the Redis backend), ``factor`` the adaptive share of the rate in force."""

    granted: bool
    wait: float
    slot: int = 0
    factor: float = 1.0
    source: str = "local"


class Backend(Protocol):
    """Where buckets keep their state: this process (``LocalBackend``), a Redis shared by every
    process and host (``RedisBackend``), or Redis behind a circuit breaker (``FailoverBackend``).
    The three implement it explicitly, so each method is documented once, here."""

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        """Spend the bucket's next slot if it comes within ``max_wait`` seconds, else nothing."""
        ...

    def report_throttle(self, bucket: Bucket) -> float:
        """The cloud throttled a request of this bucket: lower its rate. Returns the new factor."""
        ...


@dataclass(frozen=True)
class AdaptiveParams:
    """Adaptive throttling in the integer units both backends compute in: per-mille of the rate,
    microseconds."""

    floor_pm: int
    decrease: float
    recovery_pm_per_us: float
    cooldown_us: int

    @classmethod
    def from_options(cls, options: AdaptiveOptions) -> AdaptiveParams:
        floor_pm = max(1, round(options.floor * 1000))
        return cls(
            floor_pm=floor_pm,
            decrease=options.decrease,
            recovery_pm_per_us=(1000 - floor_pm) / (options.recovery_seconds * 1e6)
            if floor_pm < 1000
            else 1.0,
            cooldown_us=round(options.cooldown_seconds * 1e6),
        )

    def current(self, factor_pm: float, since_us: int, now_us: int) -> float:
        """The factor now: the stored one plus linear recovery since it was set, at most 1000."""
        return min(1000.0, factor_pm + (now_us - since_us) * self.recovery_pm_per_us)

    def recovery_us(self, factor_pm: float) -> int:
        """How long until ``factor_pm`` is back to 1000 (after which the state can expire)."""
        return int((1000 - factor_pm) / self.recovery_pm_per_us) + 1
