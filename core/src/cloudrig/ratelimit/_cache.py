"""Read economy: a short-TTL in-process cache of describe/list answers, with request coalescing.

N deployments polling the same group in one process make one call per poll, not N: the first
caller of a key loads it, the others arriving meanwhile wait for that same answer (coalescing), and
callers within ``ttl`` afterwards get it from the cache. Reads that decide a mutation (is the new
group healthy? is the old one still serving?) always reach the cloud: a provider passes
``fresh=True``, or the caller — typically the core's deployment engine, which cannot reach into a
provider — runs them inside ``with fresh_reads():``, which every cache in this thread or task honours.

Errors are shared with the callers that coalesced onto the failing load but never cached.
Hand-written (rather than cachetools' TTLCache) because coalescing and the injectable clock are
the point, and a TTL map is a dozen lines next to them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from cloudrig._clock import Clock, SystemClock

T = TypeVar("T")

_FRESH: ContextVar[bool] = ContextVar("cloudrig_fresh_reads", default=False)


@contextmanager
def fresh_reads() -> Iterator[None]:
    """Within this block, every ``ReadCache.get`` in this thread (or asyncio task) reaches the
    cloud: for reads that decide a mutation, made through a provider that caches its reads."""
    token = _FRESH.set(True)
    try:
        yield
    finally:
        _FRESH.reset(token)


class ReadCache:
    def __init__(
        self, clock: Clock | None = None, *, ttl: float = 2.0, max_entries: int = 10_000
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._flights: dict[Hashable, Future[Any]] = {}
        self.loads = 0
        """How many loads reached the loader (for tests and counters)."""
        self.hits = 0
        self.coalesced = 0

    def get(self, key: Hashable, load: Callable[[], T], *, fresh: bool = False) -> T:
        """The value of ``key``: cached if younger than ``ttl``, else loaded once for every caller
        waiting on it. ``fresh=True`` (or an enclosing ``fresh_reads()``) bypasses the cache and
        coalescing and loads now."""
        if fresh or _FRESH.get():
            with self._lock:
                self.loads += 1
            return load()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self.clock.monotonic() < entry[0]:
                self.hits += 1
                value: T = entry[1]
                return value
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = Future()
                self.loads += 1
            else:
                self.coalesced += 1
        if not leader:
            result: T = flight.result()
            return result
        try:
            value = load()
        except BaseException as exc:
            with self._lock:
                del self._flights[key]
            flight.set_exception(exc)
            raise
        with self._lock:
            del self._flights[key]
            if self.ttl > 0:
                self._entries[key] = (self.clock.monotonic() + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        flight.set_result(value)
        return value

    def invalidate(self, key: Hashable | None = None) -> None:
        """Forget one key (after a mutation of what it describes) or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
