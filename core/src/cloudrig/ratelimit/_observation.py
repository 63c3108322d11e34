"""What one cloud request looked like, for the ``cloudrig_request`` hook (tracing, metrics).

The gate (``_gate.Gate.send`` and ``Gate.retry``, the two calls that wrap a whole API call) tallies
each request it admits — the limiter's wait, the attempts the retry policy made, the throttled
answers — and hands a frozen ``RequestObservation`` to the observer ``cloudrig.connect`` installs
when a plugin implements ``cloudrig_request``. With no such plugin the observer is ``None`` and the
gate does nothing more than before (benchmarks/ratelimit/observation.py measures it).

The engine names the deployment and step a request belongs to with ``observing_step``: a context
variable of the thread (or task) that runs the step, copied into the observation, so a plugin
parents a request under its step without relying on whatever tracing context is current.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("cloudrig.ratelimit")


@dataclass(frozen=True)
class RequestObservation:
    """One API call as it went: every attempt the retry policy made, one observation.

    Names and classes only: never a parameter, a header or an answer's body, so nothing a
    request carried (credentials, tokens, user data) can reach a plugin through it."""

    cloud: str
    """The provider's cloud as its gate names it (``aws``, ``gcp``, ``kubernetes``)."""
    service: str
    operation: str
    region: str
    call_class: str
    """``read`` or ``mutate`` (``cloudrig.ratelimit.CallClass``)."""
    outcome: str
    """The last answer's verdict: ``ok``, ``throttled``, ``transient`` or ``permanent``; ``refused``
    when the limiter itself refused (``RateLimited``, ``LimiterUnavailable``: nothing was sent)."""
    error: str | None
    """The class name of the exception the call raised, ``None`` when it returned."""
    requests: int
    """Requests admitted by the limiter (sent): one per attempt, one per page of a listing."""
    attempts: int
    """Times the retry policy ran the call (``retries`` = ``attempts - 1``)."""
    throttled: int
    """Throttling answers among them (each slowed the bucket down)."""
    limiter_wait: float
    """Seconds spent waiting for the limiter's slots, all attempts together (on its clock)."""
    start_ns: int
    """Wall-clock start and end of the whole call, in nanoseconds since the epoch."""
    end_ns: int
    deployment_id: str | None = None
    """The deployment and step whose run made the call (``observing_step``), when one did."""
    step: str | None = None

    @property
    def retries(self) -> int:
        """Attempts after the first (0 for a call answered at once)."""
        return max(0, self.attempts - 1)


RequestObserver = Callable[[RequestObservation], None]


class Tally:
    """The counts of one call in progress (mutable; one per call, on its own thread or task)."""

    __slots__ = ("attempts", "requests", "throttled", "verdict", "waited")

    def __init__(self) -> None:
        self.requests = 0
        self.attempts = 0
        self.throttled = 0
        self.waited = 0.0
        self.verdict: str | None = None


current_tally: ContextVar[Tally | None] = ContextVar("cloudrig_request_tally", default=None)
"""The call in progress on this thread or task: the gate's ``admit``/``observe`` add to it."""

_step: ContextVar[tuple[str, str] | None] = ContextVar("cloudrig_request_step", default=None)


@contextmanager
def observing_step(deployment_id: str, step: str) -> Iterator[None]:
    """Requests made inside (on this thread or task) belong to ``step`` of ``deployment_id``."""
    token = _step.set((deployment_id, step))
    try:
        yield
    finally:
        _step.reset(token)


def current_step() -> tuple[str, str] | None:
    """The (deployment id, step) ``observing_step`` set here, if any."""
    return _step.get()


def hook_observer(hook: Any) -> RequestObserver | None:
    """The observer calling the ``cloudrig_request`` implementations of a plugin manager's
    ``hook`` relay, or ``None`` when no plugin implements it (the gate then skips observing).
    A plugin's exception is logged and ignored: observing never fails a request."""
    caller = hook.cloudrig_request
    if not caller.get_hookimpls():
        return None

    def observe(observation: RequestObservation) -> None:
        try:
            caller(observation=observation)
        except Exception:
            log.exception("a cloudrig_request hook failed on %s", observation.operation)

    return observe
