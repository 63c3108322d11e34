"""The one retry policy, and the read cache with coalescing."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cloudrig.ratelimit import (
    AnswerClass,
    ReadCache,
    RetryOptions,
    RetryPolicy,
    Verdict,
    fresh_reads,
)


class Flaky(Exception):
    pass


def classify(outcome: Any) -> AnswerClass:
    if isinstance(outcome, Flaky):
        return AnswerClass(Verdict.TRANSIENT)
    if outcome == "429":
        return AnswerClass(Verdict.THROTTLED, retry_after=3.0)
    if isinstance(outcome, Exception):
        return AnswerClass(Verdict.PERMANENT)
    return AnswerClass(Verdict.OK)


def scripted(*answers: Any) -> tuple[list[int], Any]:
    calls: list[int] = []

    def attempt() -> Any:
        calls.append(1)
        answer = answers[min(len(calls), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return calls, attempt


def test_transient_errors_are_retried_with_capped_jittered_backoff(clock) -> None:
    policy = RetryPolicy(RetryOptions(attempts=5, base=0.2, cap=1.0), clock)
    calls, attempt = scripted(Flaky(), Flaky(), Flaky(), Flaky(), "done")
    assert policy.run(attempt, classify=classify, safe=True) == "done"
    assert len(calls) == 5
    assert len(clock.sleeps) == 4
    assert all(0 <= s <= 1.0 for s in clock.sleeps)


def test_throttled_answers_wait_at_least_what_the_cloud_asked(clock) -> None:
    policy = RetryPolicy(RetryOptions(attempts=3, base=0.1, cap=1.0), clock)
    calls, attempt = scripted("429", "429", "429")
    assert policy.run(attempt, classify=classify, safe=True) == "429"  # last answer returned
    assert len(calls) == 3
    assert clock.sleeps == [3.0, 3.0]


def test_unsafe_calls_are_never_repeated(clock) -> None:
    policy = RetryPolicy(RetryOptions(attempts=5), clock)
    calls, attempt = scripted(Flaky())
    with pytest.raises(Flaky):
        policy.run(attempt, classify=classify, safe=False)
    assert len(calls) == 1


def test_a_throttled_mutation_is_resent_because_the_cloud_did_nothing(clock) -> None:
    policy = RetryPolicy(RetryOptions(attempts=5), clock)
    calls, attempt = scripted("429", "done")
    assert policy.run(attempt, classify=classify, safe=False) == "done"
    assert len(calls) == 2
    assert clock.sleeps == [3.0]  # after the delay the cloud asked for


def test_permanent_errors_are_raised_at_once_and_attempts_are_bounded(clock) -> None:
    policy = RetryPolicy(RetryOptions(attempts=3), clock)
    calls, attempt = scripted(ValueError("bad request"))
    with pytest.raises(ValueError, match="bad request"):
        policy.run(attempt, classify=classify, safe=True)
    assert len(calls) == 1
    calls, attempt = scripted(Flaky())
    with pytest.raises(Flaky):
        policy.run(attempt, classify=classify, safe=True)
    assert len(calls) == 3


def test_coalescing_makes_n_waiters_one_call(clock) -> None:
    cache = ReadCache(clock, ttl=2.0)
    release = threading.Event()
    started = threading.Event()
    calls: list[int] = []

    def load() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "described"

    results: list[str] = []
    lock = threading.Lock()

    def waiter() -> None:
        value = cache.get("describe asg-v003", load)
        with lock:
            results.append(value)

    leader = threading.Thread(target=waiter)
    leader.start()
    started.wait(10)
    others = [threading.Thread(target=waiter) for _ in range(9)]
    for t in others:
        t.start()
    while cache.coalesced < 9:  # every other waiter is parked on the leader's load
        threading.Event().wait(0.001)
    release.set()
    for t in [leader, *others]:
        t.join(10)
    assert results == ["described"] * 10
    assert len(calls) == 1


def test_ttl_fresh_reads_and_errors(clock) -> None:
    cache = ReadCache(clock, ttl=2.0)
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", load) == 1
    clock.advance(1.9)
    assert cache.get("k", load) == 1  # served from the cache
    assert cache.get("k", load, fresh=True) == 2  # a read that decides a mutation
    clock.advance(1.9)
    assert cache.get("k", load) == 2  # its answer, the freshest, replaced the cached one
    clock.advance(0.2)
    assert cache.get("k", load) == 3  # expired
    with pytest.raises(RuntimeError):
        cache.get("e", lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert cache.get("e", lambda: "ok") == "ok"  # errors are not cached


def test_fresh_reads_block_bypasses_every_cache_in_its_context_only(clock) -> None:
    """The deployment engine cannot pass ``fresh=True`` into a provider's cache; it wraps its
    decision reads in ``fresh_reads()`` instead. Other threads keep being served from the cache."""
    cache = ReadCache(clock, ttl=10.0)
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("k", load) == 1
    with fresh_reads():
        assert cache.get("k", load) == 2  # reached the cloud although the entry is young
        assert cache.get("other", load) == 3
        seen_elsewhere: list[int] = []
        other = threading.Thread(target=lambda: seen_elsewhere.append(cache.get("k", load)))
        other.start()
        other.join()
        assert seen_elsewhere == [2]  # another thread's poll: from the cache, no load
    assert cache.get("k", load) == 2  # outside the block, cached: the decision read's answer
    assert len(calls) == 3
    assert (cache.loads, cache.fresh_loads) == (1, 2)  # polls and decision reads counted apart


def test_a_load_that_began_before_an_invalidation_never_answers_after_it(clock) -> None:
    """Read-your-writes: a deployment that mutates and invalidates must not be served the answer
    of a describe that was already in the air (it may predate the mutation)."""
    cache = ReadCache(clock, ttl=10.0)
    in_air, release = threading.Event(), threading.Event()
    answers = iter(["before the write", "after the write"])

    def slow_load() -> str:
        value = next(answers)
        in_air.set()
        release.wait(10)
        return value

    seen: list[str] = []
    poller = threading.Thread(target=lambda: seen.append(cache.get("asgs", slow_load)))
    poller.start()
    in_air.wait(10)
    cache.invalidate("asgs")  # the mutation lands while the describe is in the air
    assert cache.get("asgs", lambda: next(answers)) == "after the write"  # no joining the old load
    release.set()
    poller.join(10)
    assert seen == ["before the write"]  # its own caller still gets it...
    assert cache.get("asgs", lambda: "loaded again") == "after the write"  # ...but not the cache


def test_an_older_answer_never_replaces_a_newer_one(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    in_air, release = threading.Event(), threading.Event()

    def slow_poll() -> str:
        in_air.set()
        release.wait(10)
        return "older"

    poller = threading.Thread(target=lambda: cache.get("k", slow_poll))
    poller.start()
    in_air.wait(10)
    assert cache.get("k", lambda: "newer", fresh=True) == "newer"  # began after the poll's load
    release.set()
    poller.join(10)
    assert cache.get("k", lambda: "loaded again") == "newer"


def test_invalidating_everything_discards_loads_in_the_air(clock) -> None:
    cache = ReadCache(clock, ttl=10.0)
    assert cache.get("a", lambda: 1) == 1
    in_air, release = threading.Event(), threading.Event()

    def slow() -> int:
        in_air.set()
        release.wait(10)
        return 2

    poller = threading.Thread(target=lambda: cache.get("b", slow))
    poller.start()
    in_air.wait(10)
    cache.invalidate()
    release.set()
    poller.join(10)
    assert cache.get("a", lambda: 3) == 3
    assert cache.get("b", lambda: 4) == 4
