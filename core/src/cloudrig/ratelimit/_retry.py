"""The one retry policy: tenacity with jittered exponential backoff, on cloudrig's clock.

The provider says what an outcome means (its ``Classifier``: throttled, transient, permanent) and
whether a call is safe to repeat; this module decides whether and when to try again. Only calls that
are safe to repeat (reads, or writes carrying an idempotency token) are retried, as docs/architecture.md §5
asks: a timed-out write may have happened. The cloud SDKs' own retries are turned off where the
provider attaches, so attempts never multiply (3 SDK attempts x 5 of ours = 15 requests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import tenacity

from cloudrig._clock import Clock, SystemClock
from cloudrig.ratelimit._options import RetryOptions

R = TypeVar("R")


class Verdict(StrEnum):
    """A classifier's verdict on one answer of a cloud API; it decides whether the retry policy
    tries again and whether the limiter slows down."""

    OK = "ok"
    """The call succeeded."""
    THROTTLED = "throttled"
    """The cloud asked to slow down (HTTP 429, Throttling, RequestLimitExceeded, …)."""
    TRANSIENT = "transient"
    """Worth another try: 5xx, connection reset, timeout."""
    PERMANENT = "permanent"
    """Trying again cannot help: 4xx, validation, not found."""


@dataclass(frozen=True)
class AnswerClass:
    """What a classifier concluded about one answer: its verdict, and the delay the cloud asked for."""

    verdict: Verdict
    retry_after: float | None = None
    """The delay the cloud asked for, when it said (``Retry-After``)."""


Classifier = Callable[[Any], Verdict | AnswerClass]
"""Given an attempt's result or the exception it raised, what it means."""


def answer_class(value: Verdict | AnswerClass) -> AnswerClass:
    return value if isinstance(value, AnswerClass) else AnswerClass(value)


def retryable(verdict: Verdict, *, safe: bool) -> bool:
    """Whether an attempt with this verdict is sent again. A throttled answer always is: the cloud
    refused the request before doing anything (HTTP 429, ``Throttling``, ``RequestLimitExceeded``),
    so even a mutation is safe to resend. A transient one only when the call is safe to repeat
    (reads, and writes carrying an idempotency token): a 5xx or a reset connection may come after
    the cloud acted."""
    return verdict is Verdict.THROTTLED or (safe and verdict is Verdict.TRANSIENT)


class RetryPolicy:
    """Jittered exponential backoff (``base`` · 2^n, full jitter, at most ``cap``), at most
    ``attempts`` attempts, never shorter than the delay the cloud asked for."""

    def __init__(self, options: RetryOptions | None = None, clock: Clock | None = None) -> None:
        self.options = options or RetryOptions()
        self.clock: Clock = clock or SystemClock()
        self._jitter = tenacity.wait_random_exponential(
            multiplier=self.options.base, max=self.options.cap
        )

    def run(
        self,
        attempt: Callable[[], R],
        *,
        classify: Callable[[Any], AnswerClass],
        safe: bool,
    ) -> R:
        """Call ``attempt`` until it succeeds, fails permanently, is unsafe to repeat (see
        ``retryable``), or the attempts are spent. Returns the last result or raises the last
        exception."""
        last: list[AnswerClass] = []

        def should_retry(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome
            assert outcome is not None
            value = outcome.exception() if outcome.failed else outcome.result()
            verdict = classify(value)
            last[:] = [verdict]
            return retryable(verdict.verdict, safe=safe)

        def wait(state: tenacity.RetryCallState) -> float:
            delay: float = self._jitter(state)
            asked = last[0].retry_after if last else None
            return max(delay, asked or 0.0)

        retrying = tenacity.Retrying(
            sleep=self.clock.sleep,
            stop=tenacity.stop_after_attempt(self.options.attempts),
            wait=wait,
            retry=should_retry,
            # Out of attempts: hand back the last answer as it was (result or exception).
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            reraise=True,
        )
        result: R = retrying(attempt)
        return result
