"""What the Redis backend does when Redis is unreachable: decide fast, degrade as configured, and
come back by itself.

A circuit breaker sits in front of Redis. The first failed call (refused connection, timeout, any
Redis error) opens it: for ``breaker_seconds`` no call goes to Redis, every decision is the
fallback's and takes microseconds. Then one caller tries Redis again (half-open); success closes
the breaker, failure opens it for twice as long (up to 30 s). No background thread is involved:
recovery happens on the next acquire. Entering and leaving the fallback are logged once each.

The breaker is written here rather than taken from a library (pybreaker, circuitbreaker) because it
must run on cloudrig's injectable clock, open on the very first failure, and let exactly one caller
probe at a time; the libraries count failures over wall-clock time and let every caller probe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from redis.exceptions import RedisError

from cloudrig._clock import Clock
from cloudrig.ratelimit._backend import Backend, Reservation
from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._local import LocalBackend
from cloudrig.ratelimit._options import Fallback

MAX_OPEN_SECONDS = 30.0


class CircuitBreaker:
    """Closed → (failure) → open for a while → one probe → closed or open longer."""

    def __init__(self, clock: Clock, open_seconds: float) -> None:
        self.clock = clock
        self.open_seconds = open_seconds
        self._lock = threading.Lock()
        self._open_until: float | None = None
        self._current = open_seconds
        self._probing = False

    @property
    def is_open(self) -> bool:
        """Whether Redis is being bypassed (the fallback policy applies) until the next probe."""
        return self._open_until is not None

    def allow(self) -> bool:
        """Whether this caller may call Redis now (when open, only one prober after the wait)."""
        if self._open_until is None:  # the hot path: closed, no lock needed to read one field
            return True
        with self._lock:
            if self._open_until is None:
                return True
            if self._probing or self.clock.monotonic() < self._open_until:
                return False
            self._probing = True
            return True

    def success(self) -> bool:
        """Record a success; True when this closed an open breaker."""
        if self._open_until is None and not self._probing:  # the hot path: nothing to change
            return False
        with self._lock:
            was_open = self._open_until is not None
            self._open_until, self._probing, self._current = None, False, self.open_seconds
            return was_open

    def failure(self) -> bool:
        """Record a failure; True when this opened a closed breaker."""
        with self._lock:
            was_closed = self._open_until is None
            if not was_closed:
                self._current = min(self._current * 2, MAX_OPEN_SECONDS)
            self._open_until = self.clock.monotonic() + self._current
            self._probing = False
            return was_closed


class FailoverBackend(Backend):
    """A primary (Redis) backend behind a circuit breaker, with the configured fallback."""

    def __init__(
        self,
        primary: Backend,
        *,
        policy: Fallback,
        local: LocalBackend,
        clock: Clock,
        breaker_seconds: float,
        logger: logging.Logger | None = None,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.primary = primary
        self.policy = policy
        self.local = local
        self.breaker = CircuitBreaker(clock, breaker_seconds)
        self.logger = logger or logging.getLogger("cloudrig.ratelimit")
        self._on_change = on_change

    @property
    def fallback_active(self) -> bool:
        """Whether decisions currently come from the fallback, not Redis."""
        return self.breaker.is_open

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        breaker = self.breaker
        if breaker._open_until is None:
            # The hot path, written out (no allow()/success() calls: every request takes it):
            # closed, so this caller may call Redis, and a success changes nothing unless another
            # thread opened the breaker meanwhile.
            try:
                reservation = self.primary.reserve(bucket, max_wait)
            except RedisError as exc:
                self._failed(exc)
                return self._fallback(bucket, max_wait)
            if breaker._open_until is not None or breaker._probing:
                self._succeeded()
            return reservation
        if breaker.allow():
            try:
                reservation = self.primary.reserve(bucket, max_wait)
            except RedisError as exc:
                self._failed(exc)
            else:
                self._succeeded()
                return reservation
        return self._fallback(bucket, max_wait)

    def report_throttle(self, bucket: Bucket) -> float:
        # The local share slows down too: it is what runs while Redis is away.
        local = self.local.report_throttle(bucket)
        if self.breaker.allow():
            try:
                factor = self.primary.report_throttle(bucket)
            except RedisError as exc:
                self._failed(exc)
            else:
                self._succeeded()
                return factor
        return local

    def _fallback(self, bucket: Bucket, max_wait: float) -> Reservation:
        if self.policy is Fallback.OPEN:
            return Reservation(True, 0.0, 0, 1.0, "fallback-open")
        if self.policy is Fallback.CLOSED:
            return Reservation(False, 0.0, 0, 1.0, "fallback-closed")
        reservation = self.local.reserve(bucket, max_wait)
        return Reservation(
            reservation.granted,
            reservation.wait,
            reservation.slot,
            reservation.factor,
            "fallback-local",
        )

    def _failed(self, exc: RedisError) -> None:
        if self.breaker.failure():
            self.logger.warning(
                "rate limiter: Redis unreachable (%s: %s); falling back to %s until it answers",
                type(exc).__name__,
                exc,
                _DESCRIPTION[self.policy],
            )
            if self._on_change:
                self._on_change(True)

    def _succeeded(self) -> None:
        if self.breaker.success():
            self.logger.warning("rate limiter: Redis answers again; shared budgets restored")
            if self._on_change:
                self._on_change(False)


_DESCRIPTION = {
    Fallback.LOCAL: "a conservative local share of each budget",
    Fallback.CLOSED: "denying every request (fail closed)",
    Fallback.OPEN: "admitting every request unlimited (fail open)",
}
