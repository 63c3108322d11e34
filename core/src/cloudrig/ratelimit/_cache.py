"""Read economy: a short-TTL in-process cache of describe/list answers, with request coalescing.

N deployments polling the same group in one process make one call per poll, not N: the first
caller of a key loads it, the others arriving meanwhile wait for that same answer (coalescing), and
callers within ``ttl`` afterwards get it from the cache. Reads that decide a mutation (is the new
group healthy? is the old one still serving?) always reach the cloud: a provider passes
``fresh=True``, or the caller — typically the core's deployment engine, which cannot reach into a
provider — runs them inside ``with fresh_reads():``, which every cache in this thread or task honours.
A decision read's answer is the freshest there is, so it replaces the cached one: the next poll of
any caller gets it for free.

Writes. A provider calls ``invalidate(key)`` after a mutation of what ``key`` describes. Outside a
scope that forgets the key for everyone. Inside ``with read_your_writes():`` — the deployment
engine runs every deployment in one — it only raises the scope's own watermark: the scope never
again sees an answer loaded before its write, while the other deployments keep polling the shared
answer (they accept ``ttl``-old answers anyway, and decide on fresh reads). When the scope ends its
writes are published: the key is forgotten for everyone whose answer predates them, so whoever
waits for a deployment and then reads sees what it did. Loads are ordered with writes by one
counter: an answer that began before a write never answers after it, nor replaces a newer answer.

Errors are shared with the callers that coalesced onto the failing load but never cached.
Hand-written (rather than cachetools' TTLCache) because coalescing, the injectable clock and the
write ordering are the point, and a TTL map is a dozen lines next to them.
"""

from __future__ import annotations

import math
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
_SCOPE: ContextVar[_Writes | None] = ContextVar("cloudrig_read_your_writes", default=None)


@contextmanager
def fresh_reads() -> Iterator[None]:
    """Within this block, every ``ReadCache.get`` in this thread (or asyncio task) reaches the
    cloud: for reads that decide a mutation, made through a provider that caches its reads."""
    token = _FRESH.set(True)
    try:
        yield
    finally:
        _FRESH.reset(token)


class _Writes:
    """The writes of one ``read_your_writes`` scope: the counter value of its last write per
    (cache, key)."""

    def __init__(self, parent: _Writes | None) -> None:
        self.parent = parent
        self.marks: dict[tuple[int, Hashable], tuple[ReadCache, int]] = {}
        self._lock = threading.Lock()

    def mark(self, cache: ReadCache, key: Hashable, seq: int) -> None:
        with self._lock:
            self.marks[(id(cache), key)] = (cache, seq)

    def floor(self, cache: ReadCache, key: Hashable) -> int:
        mark = self.marks.get((id(cache), key))
        below = self.parent.floor(cache, key) if self.parent is not None else 0
        return max(mark[1], below) if mark is not None else below


@contextmanager
def read_your_writes() -> Iterator[None]:
    """Within this block (thread or asyncio task), ``invalidate(key)`` on any cache keeps the
    other callers' cached answers and only guarantees this block never sees an answer older than
    its write; on exit the writes reach everyone (an enclosing scope, else every caller)."""
    writes = _Writes(_SCOPE.get())
    token = _SCOPE.set(writes)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        for (_, key), (cache, seq) in list(writes.marks.items()):
            if writes.parent is not None:
                writes.parent.mark(cache, key, seq)
            else:
                cache._publish(key, seq)


class ReadCache:
    """Recent answers of read calls, reused for ``ttl`` seconds (at most ``max_entries``), with
    concurrent identical reads coalesced into one request; a provider calls ``invalidate(key)``
    after a mutation of what ``key`` describes, and reads that decide a mutation run inside
    ``fresh_reads()``. See the module's docstring for the rules."""

    def __init__(
        self, clock: Clock | None = None, *, ttl: float = 2.0, max_entries: int = 10_000
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        # key -> (expires, seq, value). seq (one counter for loads and writes) says when a load
        # began or a write happened; a key written outside any scope keeps a tombstone
        # (expires -inf, the write's seq) so a load that began before the write cannot store.
        self._entries: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._flights: dict[Hashable, tuple[Future[Any], int]] = {}  # the newest load per key
        self._seq = 0
        self._cleared = 0  # seq of the last invalidate() of everything
        self.loads = 0
        """Cached reads that reached the loader: at most one per key per ``ttl`` however many
        callers poll it (hits and coalesced callers are not loads)."""
        self.own_write_loads = 0
        """Of ``loads``, those a shared answer could not serve because it predates the caller's
        own write (in a ``read_your_writes`` scope): the rest are the polls proper."""
        self.fresh_loads = 0
        """Reads that bypassed the cache (``fresh=True`` or ``fresh_reads()``): the decision reads,
        one per caller by design — an answer loaded before a caller decided cannot decide for it."""
        self.hits = 0
        self.coalesced = 0

    def get(self, key: Hashable, load: Callable[[], T], *, fresh: bool = False) -> T:
        """The value of ``key``: cached if younger than ``ttl``, else loaded once for every caller
        waiting on it. ``fresh=True`` (or an enclosing ``fresh_reads()``) bypasses the cache and
        coalescing and loads now; its answer then replaces the cached one."""
        if fresh or _FRESH.get():
            with self._lock:
                self.fresh_loads += 1
                self._seq += 1
                seq = self._seq
            value = load()
            with self._lock:
                self._store(key, seq, value)
            return value
        scope = _SCOPE.get()
        floor = scope.floor(self, key) if scope is not None else 0  # this caller's last write
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] > floor and self.clock.monotonic() < entry[0]:
                self.hits += 1
                cached: T = entry[2]
                return cached
            flight = self._flights.get(key)
            leader = flight is None or flight[1] <= floor
            if leader:
                self.loads += 1
                if (flight is not None and flight[1] <= floor) or (
                    entry is not None and entry[1] <= floor and entry[0] > self.clock.monotonic()
                ):
                    self.own_write_loads += 1
                self._seq += 1
                seq = self._seq
                flight = self._flights[key] = (Future(), seq)
            else:
                self.coalesced += 1
        assert flight is not None
        future = flight[0]
        if not leader:
            result: T = future.result()
            return result
        try:
            value = load()
        except BaseException as exc:
            with self._lock:
                self._land(key, future)
            future.set_exception(exc)
            raise
        with self._lock:
            self._land(key, future)
            self._store(key, seq, value)
        future.set_result(value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` as the current answer of ``key``, known without a read (a watch event,
        a write's own response): it serves every caller, this one included, until ``ttl``."""
        with self._lock:
            self._seq += 1
            self._store(key, self._seq, value)

    def _land(self, key: Hashable, future: Future[Any]) -> None:
        # A write may have detached this load, and a newer one may be in the air.
        flight = self._flights.get(key)
        if flight is not None and flight[0] is future:
            del self._flights[key]

    def _store(self, key: Hashable, seq: int, value: Any) -> None:
        """Keep ``value`` (loaded from ``seq`` on) unless something newer is known: a later load's
        answer, or a write after this load began."""
        if self.ttl <= 0 or seq <= self._cleared:
            return
        entry = self._entries.get(key)
        if entry is not None and entry[1] > seq:
            return
        self._put(key, (self.clock.monotonic() + self.ttl, seq, value))

    def _put(self, key: Hashable, entry: tuple[float, int, Any]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, key: Hashable | None = None) -> None:
        """After a mutation of what ``key`` describes (``None``: everything). Outside a
        ``read_your_writes`` scope, forgets it for every caller; inside one, only for the scope
        until it ends (the module's docstring says why). Either way no answer whose load began
        before this call reaches whoever made it."""
        scope = _SCOPE.get()
        with self._lock:
            self._seq += 1
            if key is None:
                self._entries.clear()
                self._flights.clear()
                self._cleared = self._seq
                return
            if scope is None:
                self._forget(key, self._seq)
                return
            seq = self._seq
        scope.mark(self, key, seq)

    def _publish(self, key: Hashable, seq: int) -> None:
        """A scope's write to ``key`` at ``seq`` reaches every caller (the scope has ended)."""
        with self._lock:
            self._forget(key, seq)

    def _forget(self, key: Hashable, seq: int) -> None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < seq:
            self._put(key, (-math.inf, seq, None))
        flight = self._flights.get(key)
        if flight is not None and flight[1] < seq:
            del self._flights[key]
