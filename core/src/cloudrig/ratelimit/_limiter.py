"""The limiter: buckets from the configuration, a backend that decides, counters and log records.

One ``Limiter`` per process (``cloudrig.connect`` builds it from the ``limits`` section and hands it
to every provider as ``ProviderContext.limiter``). Waits go through the injectable clock, so tests
of anything that calls a cloud run without sleeping.
"""

from __future__ import annotations

import logging
import threading
from typing import NamedTuple, NoReturn

from cloudrig._clock import Clock, SystemClock
from cloudrig.ratelimit._backend import Backend, Reservation
from cloudrig.ratelimit._bucket import Bucket, resolve_bucket
from cloudrig.ratelimit._cache import ReadCache
from cloudrig.ratelimit._errors import LimiterUnavailable, RateLimited
from cloudrig.ratelimit._gate import Gate
from cloudrig.ratelimit._local import LocalBackend
from cloudrig.ratelimit._observation import RequestObserver
from cloudrig.ratelimit._options import CallClass, LimitsConfig
from cloudrig.ratelimit._retry import Classifier, RetryPolicy
from cloudrig.ratelimit._stats import BucketStats, StatsRegistry

logger = logging.getLogger("cloudrig.ratelimit")
MAX_FORFEITS = 2
"""Slots one acquire may give up for waking too late before it sends on a late one anyway."""
_ADMITTED = "rate limiter: admitted a request of %s after %.3f s (%s)"


class Admission(NamedTuple):
    """A request let through: it waited ``waited`` seconds for its slot (on the deciding clock,
    microseconds, in ``slot``); ``source`` says who decided (``local``, ``redis``, ``fallback-…``)."""

    bucket: str
    waited: float
    slot: int
    source: str


def build_backend(config: LimitsConfig, clock: Clock) -> Backend:
    """The backend the configuration asks for; the Redis one behind its failover."""
    if config.backend == "local" or config.redis is None:
        return LocalBackend(clock, adaptive=config.adaptive)
    # Imported here: redis-py costs ~40% of `import cloudrig`, and the local backend needs none.
    from cloudrig.ratelimit._failover import FailoverBackend
    from cloudrig.ratelimit._redis import RedisBackend

    return FailoverBackend(
        RedisBackend.from_options(config.redis, config.adaptive),
        policy=config.fallback,
        local=LocalBackend(clock, adaptive=config.adaptive, scale=config.local_share),
        clock=clock,
        breaker_seconds=config.breaker_seconds,
        logger=logger,
    )


class Limiter:
    """Admits requests against shared budgets. Thread-safe; no background threads."""

    def __init__(
        self,
        config: LimitsConfig | None = None,
        *,
        clock: Clock | None = None,
        backend: Backend | None = None,
    ) -> None:
        self.config = config or LimitsConfig()
        self.clock: Clock = clock or SystemClock()
        self.backend: Backend = backend or build_backend(self.config, self.clock)
        self.retry = RetryPolicy(self.config.retries, self.clock)
        self.cache = ReadCache(
            self.clock, ttl=self.config.cache.ttl, max_entries=self.config.cache.max_entries
        )
        self._stats = StatsRegistry()
        self.request_observer: RequestObserver | None = None
        """Called with each API call's ``RequestObservation`` (``Gate.send``/``Gate.retry``);
        ``cloudrig.connect`` installs the ``cloudrig_request`` hooks here, if any plugin has one."""
        self._buckets: dict[tuple[str, ...], Bucket] = {}
        self._lock = threading.Lock()

    def bucket(
        self,
        *,
        cloud: str,
        identity: str,
        service: str,
        region: str,
        call_class: CallClass,
        api: str | None = None,
    ) -> Bucket:
        """The bucket of a call, keyed by the cloud's own identity (AWS account id, GCP project,
        Kubernetes API server), resolved from the configuration once and remembered."""
        key = (cloud, identity, service, region, call_class.value, api or "")
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = resolve_bucket(
                self.config,
                cloud=cloud,
                identity=identity,
                service=service,
                region=region,
                call_class=call_class,
                api=api,
            )
            with self._lock:
                self._buckets[key] = bucket
        return bucket

    def acquire(self, bucket: Bucket, *, timeout: float | None = None) -> Admission:
        """Spend one slot of ``bucket``, sleeping until it comes. Raises ``RateLimited`` at once,
        spending nothing, when the slot is more than ``timeout`` seconds away (default: the
        configuration's ``max_wait``), and ``LimiterUnavailable`` when Redis is unreachable and the
        fallback policy is ``closed``."""
        max_wait = self.config.max_wait if timeout is None else timeout
        reservation = self.backend.reserve(bucket, max_wait if max_wait > 0 else 0.0)
        if not reservation.granted:
            self._refused(bucket, reservation)
        if reservation.wait <= 0:  # a free slot now: the common case, kept short
            source = reservation.source
            in_fallback = source.startswith("fallback")
            self._stats.admitted(bucket.name, 0.0, reservation.factor, in_fallback)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(_ADMITTED, bucket.name, 0.0, source)
            return Admission(bucket.name, 0.0, reservation.slot, source)
        return self._wait_for(bucket, max_wait, reservation)

    def _wait_for(self, bucket: Bucket, max_wait: float, reservation: Reservation) -> Admission:
        """Sleep until the reserved slot; take a fresh one after waking too late."""
        waited = 0.0
        for forfeits in range(MAX_FORFEITS + 1):
            if forfeits:
                reservation = self._reserve(bucket, max(0.0, max_wait - waited))
            if reservation.wait <= 0:
                break
            start = self.clock.monotonic()
            self.clock.sleep(reservation.wait)
            slept = self.clock.monotonic() - start
            waited += slept
            # Woken more than the bucket's slack after the slot (an overloaded host): sending now
            # would bunch with the next slots' owners. Give the slot up and take a fresh one.
            if slept - reservation.wait <= bucket.interval * bucket.limit.burst:
                break
            if forfeits < MAX_FORFEITS:
                self._stats.forfeited(bucket.name)
                logger.debug("rate limiter: woke late for %s; slot given up", bucket.name)
        in_fallback = reservation.source.startswith("fallback")
        self._stats.admitted(bucket.name, waited, reservation.factor, in_fallback)
        logger.debug(_ADMITTED, bucket.name, waited, reservation.source)
        return Admission(bucket.name, waited, reservation.slot, reservation.source)

    def _reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        """One reservation; a refusal is counted, logged and raised."""
        reservation = self.backend.reserve(bucket, max_wait)
        if not reservation.granted:
            self._refused(bucket, reservation)
        return reservation

    def _refused(self, bucket: Bucket, reservation: Reservation) -> NoReturn:
        """Count, log and raise a refusal."""
        in_fallback = reservation.source.startswith("fallback")
        self._stats.denied(bucket.name, reservation.factor, in_fallback)
        logger.info(
            "rate limiter: denied a request of %s (%s)",
            bucket.name,
            reservation.source if in_fallback else f"slot in {reservation.wait:.3f} s",
        )
        if reservation.source == "fallback-closed":
            raise LimiterUnavailable(bucket.name, self.config.breaker_seconds)
        raise RateLimited(bucket.name, reservation.wait)

    def try_acquire(self, bucket: Bucket) -> bool:
        """Spend a slot only if one is free now; never waits."""
        try:
            self.acquire(bucket, timeout=0)
        except RateLimited:
            return False
        return True

    def report_throttle(self, bucket: Bucket) -> float:
        """The cloud throttled a request of ``bucket``: slow the bucket down for every process
        sharing it (through Redis when configured). Returns the new share of the rate."""
        factor = self.backend.report_throttle(bucket) if self.config.adaptive.enabled else 1.0
        self._stats.throttled(bucket.name, factor)
        logger.warning(
            "rate limiter: the cloud throttled a request of %s; rate now %.0f%% of %.3g/s",
            bucket.name,
            factor * 100,
            bucket.limit.rate,
        )
        return factor

    def stats(self) -> dict[str, BucketStats]:
        """Per-bucket counters of this process: admitted, waited, denied, throttles, fallback."""
        return self._stats.snapshot()

    def gate(
        self,
        *,
        cloud: str,
        identity: str,
        classify: Classifier,
        timeout: float | None = None,
    ) -> Gate:
        """The attachment point for a provider's transport (see ``Gate``)."""
        return Gate(self, cloud=cloud, identity=identity, classify=classify, timeout=timeout)

    def close(self) -> None:
        """Close the Redis connections, if any."""
        backend = self.backend
        primary = getattr(backend, "primary", backend)
        close = getattr(primary, "close", None)
        if close is not None:
            close()
