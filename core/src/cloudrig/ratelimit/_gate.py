"""The attachment API: how a provider puts the limiter and the retry policy at its transport.

A provider creates one ``Gate`` per cloud identity (``context.limiter.gate(cloud="aws",
identity=account_id, classify=...)``) and calls it at the single point where its SDK sends a
request, so every request — first attempts and retries alike — is admitted exactly once and nothing
can bypass it:

- a transport with one send function (an HTTP session, a REST client's ``request``) wraps it::

      response = gate.send(Call("compute", "instances.get", region, CallClass.READ), do_send)

  which admits each attempt, classifies its outcome, reports throttling (the bucket slows down for
  every process) and retries per the one policy;
- a transport with hooks (botocore's event system) calls ``gate.admit(call)`` in its before-send
  hook and ``gate.observe(call, outcome)`` where it sees the answer, and leaves retrying to
  ``gate.retry(call, operation)`` around the whole API call;
- describe/list reads go through ``gate.read(call, key, load)``: cached for a moment and coalesced
  across callers (``fresh=True`` for reads that decide a mutation).

In every case the SDK's own retries must be off (botocore ``retries={"total_max_attempts": 1}``,
google-api-core ``retry=None``, urllib3 ``Retry(total=0)``), so attempts never multiply.

``send`` and ``retry`` wrap a whole API call: when a plugin implements ``cloudrig_request``, each
one tallies what ``admit`` and ``observe`` saw of its attempts and hands the plugin one
``RequestObservation`` (``_observation``); with none, nothing is tallied.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._errors import RateLimited
from cloudrig.ratelimit._observation import (
    RequestObservation,
    RequestObserver,
    Tally,
    current_step,
    current_tally,
)
from cloudrig.ratelimit._options import CallClass
from cloudrig.ratelimit._retry import AnswerClass, Classifier, Verdict, answer_class

R = TypeVar("R")


@dataclass(frozen=True)
class Call:
    """One API call as the limiter sees it."""

    service: str
    operation: str
    region: str
    call_class: CallClass
    safe: bool | None = None
    """Whether sending it again after a transient failure (5xx, reset, timeout) is harmless; by
    default reads are and mutations are not (pass True for a write carrying an idempotency token,
    or one the cloud makes idempotent). Throttled answers are resent whatever this says: the cloud
    did nothing."""

    @property
    def repeatable(self) -> bool:
        """Whether the retry policy may send it again after a transient error (throttled answers
        are always resent)."""
        return self.safe if self.safe is not None else self.call_class is CallClass.READ


class Gate:
    """The limiter and the retry policy, bound to one cloud identity and its classifier."""

    def __init__(
        self,
        limiter: Limiter,
        *,
        cloud: str,
        identity: str,
        classify: Classifier,
        timeout: float | None = None,
    ) -> None:
        self.limiter = limiter
        self.cloud = cloud
        self.identity = identity
        self.classify = classify
        self.timeout = timeout

    def bucket(self, call: Call) -> Bucket:
        """The bucket the call spends from: the most specific configured rule's."""
        return self.limiter.bucket(
            cloud=self.cloud,
            identity=self.identity,
            service=call.service,
            region=call.region,
            call_class=call.call_class,
            api=call.operation,
        )

    def admit(self, call: Call) -> Admission:
        """Spend one slot for one request about to be sent (blocks until its slot)."""
        admission = self.limiter.acquire(self.bucket(call), timeout=self.timeout)
        if self.limiter.request_observer is not None:
            tally = current_tally.get()
            if tally is not None:
                tally.requests += 1
                tally.waited += admission.waited
        return admission

    def observe(self, call: Call, outcome: Any) -> AnswerClass:
        """Classify one request's answer (a response or the exception it raised); a throttling
        answer slows the call's bucket down for everyone sharing it."""
        if isinstance(outcome, RateLimited):  # our own refusal: nothing was sent
            return AnswerClass(Verdict.PERMANENT)
        verdict = answer_class(self.classify(outcome))
        if verdict.verdict is Verdict.THROTTLED:
            self.limiter.report_throttle(self.bucket(call))
        if self.limiter.request_observer is not None:
            tally = current_tally.get()
            if tally is not None:
                tally.verdict = verdict.verdict.value
                tally.throttled += verdict.verdict is Verdict.THROTTLED
        return verdict

    def retry(self, call: Call, operation: Callable[[], R]) -> R:
        """Run ``operation`` (which admits and observes its own requests, e.g. through hooks)
        under the retry policy, classifying outcomes without observing them again."""
        observer = self.limiter.request_observer
        if observer is not None:
            return self._observed(call, observer, self._retried, operation)
        return self._retried(call, operation)

    def _retried(self, call: Call, attempt: Callable[[], R]) -> R:
        return self.limiter.retry.run(
            attempt,
            classify=lambda outcome: (
                AnswerClass(Verdict.PERMANENT)
                if isinstance(outcome, RateLimited)
                else answer_class(self.classify(outcome))
            ),
            safe=call.repeatable,
        )

    def send(self, call: Call, send: Callable[[], R]) -> R:
        """Admit, send, observe, and retry per the policy: the whole attachment for a transport
        with a single send function. Returns the last answer or raises the last exception."""

        def attempt() -> R:
            self.admit(call)
            return send()

        observer = self.limiter.request_observer
        if observer is not None:
            return self._observed(call, observer, self._sent, attempt)
        return self._sent(call, attempt)

    def _sent(self, call: Call, attempt: Callable[[], R]) -> R:
        return self.limiter.retry.run(
            attempt, classify=lambda outcome: self.observe(call, outcome), safe=call.repeatable
        )

    def _observed(
        self,
        call: Call,
        observer: RequestObserver,
        run: Callable[[Call, Callable[[], R]], R],
        attempt: Callable[[], R],
    ) -> R:
        """``run(call, attempt)`` with its attempts tallied, then one observation to
        ``observer``."""
        tally = Tally()
        token = current_tally.set(tally)
        start = time.time_ns()

        def counted() -> R:
            tally.attempts += 1
            return attempt()

        error: BaseException | None = None
        try:
            return run(call, counted)
        except BaseException as exc:
            error = exc
            raise
        finally:
            current_tally.reset(token)
            observer(self._observation(call, tally, error, start))

    def _observation(
        self, call: Call, tally: Tally, error: BaseException | None, start: int
    ) -> RequestObservation:
        if isinstance(error, RateLimited):
            outcome = "refused"
        else:
            outcome = tally.verdict or ("ok" if error is None else Verdict.PERMANENT.value)
        scope = current_step()
        return RequestObservation(
            cloud=self.cloud,
            service=call.service,
            operation=call.operation,
            region=call.region,
            call_class=call.call_class.value,
            outcome=outcome,
            error=type(error).__name__ if error is not None else None,
            requests=tally.requests,
            attempts=tally.attempts,
            throttled=tally.throttled,
            limiter_wait=tally.waited,
            start_ns=start,
            end_ns=time.time_ns(),
            deployment_id=scope[0] if scope else None,
            step=scope[1] if scope else None,
        )

    def read(self, call: Call, key: Hashable, load: Callable[[], R], *, fresh: bool = False) -> R:
        """A describe/list read through the short-TTL cache with coalescing; each load that does
        reach the cloud passes ``send`` (admitted, retried). ``fresh=True`` for reads that decide a
        mutation."""
        full_key = (self.cloud, self.identity, call.service, call.region, call.operation, key)
        return self.limiter.cache.get(full_key, lambda: self.send(call, load), fresh=fresh)


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints`` resolves the public
# signatures above; at the bottom the import cycle between these modules is harmless.
from cloudrig.ratelimit._limiter import Admission, Limiter  # noqa: E402
