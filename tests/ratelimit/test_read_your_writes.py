"""Concurrent deployments in one process share their polls; each sees its own writes at once and
everyone sees them when it ends (``read_your_writes``, which the deployment engine wraps around
every deployment)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Any

from cloudrig.ratelimit import ReadCache, read_your_writes


def elsewhere(read: Callable[[], Any]) -> Any:
    """The answer another thread (another deployment, outside any scope of ours) gets."""
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(read()))
    thread.start()
    thread.join(10)
    return seen[0]


def test_a_write_in_a_scope_reloads_for_the_writer_and_spares_the_others(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    assert cache.get("asgs", lambda: "before") == "before"
    with read_your_writes():
        cache.invalidate("asgs")  # this deployment created its group
        assert elsewhere(lambda: cache.get("asgs", lambda: "other's load")) == "before"
        assert cache.get("asgs", lambda: "with my group") == "with my group"
        # the newer answer now serves every poller
        assert elsewhere(lambda: cache.get("asgs", lambda: "other's load")) == "with my group"
        assert cache.get("asgs", lambda: "reloaded") == "with my group"  # no write since
    assert (cache.loads, cache.own_write_loads) == (2, 1)


def test_the_writes_reach_everyone_when_the_scope_ends(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    assert cache.get("asgs", lambda: "before") == "before"
    done = threading.Event()

    def deployment() -> None:
        with read_your_writes():
            cache.invalidate("asgs")
        done.set()

    worker = threading.Thread(target=deployment)  # e.g. a background deployment, then wait()
    worker.start()
    worker.join(10)
    assert done.is_set()
    assert cache.get("asgs", lambda: "after the deployment") == "after the deployment"


def test_an_answer_loaded_after_the_write_survives_its_publication(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    with read_your_writes():
        cache.invalidate("asgs")
        assert elsewhere(lambda: cache.get("asgs", lambda: "loaded after it")) == "loaded after it"
    assert cache.get("asgs", lambda: "reloaded") == "loaded after it"


def test_a_nested_scope_hands_its_writes_to_the_enclosing_one(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    assert cache.get("k", lambda: 1) == 1
    with read_your_writes():
        with read_your_writes():
            cache.invalidate("k")
        assert elsewhere(lambda: cache.get("k", lambda: 2)) == 1  # not published yet
        assert cache.get("k", lambda: 3) == 3  # but the enclosing scope sees it
    cache.invalidate("k")
    assert cache.get("k", lambda: 4) == 4


def test_the_writer_never_joins_a_load_that_began_before_its_write(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    in_air, release = threading.Event(), threading.Event()

    def slow() -> str:
        in_air.set()
        release.wait(10)
        return "from before the write"

    poller = threading.Thread(target=lambda: cache.get("asgs", slow))
    poller.start()
    in_air.wait(10)
    with read_your_writes():
        cache.invalidate("asgs")
        assert cache.get("asgs", lambda: "mine") == "mine"
    release.set()
    poller.join(10)
    assert cache.get("asgs", lambda: "again") == "mine"  # the older answer never replaced it


def deployment(cache: ReadCache, load: Callable[[], str], start: int) -> Iterator[None]:
    """A red/black as the cache sees it: idle until round ``start``, one write (its new group),
    a poll a round until healthy, a write (the traffic switch), one listing of its cluster."""
    for _ in range(start):
        yield
    with read_your_writes():
        cache.invalidate("asgs")
        yield
        for _ in range(6):
            cache.get("asgs", load)
            yield
        cache.invalidate("asgs")
        yield
        cache.get("asgs", load)


def run_interleaved(clock: Any, n: int) -> ReadCache:
    """N deployments in one process starting a round apart, each step in its own context (as
    its own thread would be), round-robin; the clock moves 1 s a round and answers live 2 s."""
    cache = ReadCache(clock, ttl=2.0)
    cache.get("asgs", lambda: "listing before")
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        return f"listing {len(loads)}"

    running = [(contextvars.Context(), deployment(cache, load, i)) for i in range(n)]
    while running:
        for ctx, steps in list(running):
            if ctx.run(next, steps, "ended") == "ended":
                running.remove((ctx, steps))
        clock.advance(1.0)
    return cache


def test_n_concurrent_deployments_make_one_describe_per_poll(clock) -> None:
    one = run_interleaved(clock, 1)
    four = run_interleaved(clock, 4)
    assert one.own_write_loads >= 1  # its first poll after creating could not use the listing
    assert four.own_write_loads <= 4 * 2  # at most its two writes' worth per deployment
    polls_one = one.loads - one.own_write_loads
    polls_four = four.loads - four.own_write_loads
    assert polls_four <= polls_one + 2  # polls shared: the four run 3 rounds longer than one
    assert four.loads < 4 * one.loads / 1.5


def test_an_answer_known_without_a_read_serves_everyone(clock) -> None:
    """A watch event (Kubernetes) is the newest answer there is, even right after a write."""
    cache = ReadCache(clock, ttl=10.0)
    assert cache.get("pods", lambda: "old") == "old"
    with read_your_writes():
        cache.invalidate("pods")
        cache.put("pods", "seen by the watch")
        assert cache.get("pods", lambda: "loaded") == "seen by the watch"
    assert elsewhere(lambda: cache.get("pods", lambda: "loaded")) == "seen by the watch"
    assert cache.loads == 1
