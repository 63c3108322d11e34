"""A deployer killed between a request and its answer: the crash matrix's kill switch.

Every request a provider sends passes its limiter's ``Gate`` (``docs/architecture.md`` §5), and the
gate is also where the answer is first seen: ``Gate.send`` returns it, or ``Gate.observe`` is
handed it (botocore's hooks). ``CrashAfterRequest(k)`` raises ``SimulatedCrash`` right there for
the k-th answered request: the server has applied it, the deployer never learns so, and the
exception unwinds like a killed process (a ``BaseException``: no ``except Exception`` catches it),
leaving the state store and the cloud exactly as a ``kill -9`` would. Raising it in process costs
nothing compared with killing a real process, so a test can try every k.

    with CrashAfterRequest(3) as crash:
        with pytest.raises(SimulatedCrash):
            rig.deploy(spec, strategy=RedBlack())
    assert crash.fired
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from cloudrig.ratelimit import Gate, RateLimited
from cloudrig.testing._faults import SimulatedCrash

R = TypeVar("R")


class CrashAfterRequest:
    """Within the ``with`` block, crash right after the ``k``-th answered request (1-based) of any
    gate in this process; ``requests`` counts them all, ``fired`` tells whether it crashed."""

    _lock = threading.Lock()
    _active: ClassVar[bool] = False

    def __init__(self, k: int) -> None:
        if k < 1:
            raise ValueError("k counts requests from 1")
        self.k = k
        self.requests = 0
        self.fired = False
        self._saved: tuple[Any, Any] | None = None

    def _answered(self, what: str) -> None:
        self.requests += 1
        if self.requests == self.k and not self.fired:
            self.fired = True
            raise SimulatedCrash(f"simulated kill after request {self.k} ({what}) was applied")

    def __enter__(self) -> CrashAfterRequest:
        crash = self
        send, observe = Gate.send, Gate.observe

        def crashing_send(gate: Gate, call: Any, do_send: Callable[[], R]) -> R:
            def answered() -> R:
                answer = do_send()
                crash._answered(f"{call.service} {call.operation}")
                return answer

            return send(gate, call, answered)

        def crashing_observe(gate: Gate, call: Any, outcome: Any) -> Any:
            verdict = observe(gate, call, outcome)
            if not isinstance(outcome, (RateLimited, SimulatedCrash)):
                crash._answered(f"{call.service} {call.operation}")
            return verdict

        with self._lock:
            if CrashAfterRequest._active:
                raise RuntimeError("CrashAfterRequest blocks do not nest")
            CrashAfterRequest._active = True
            self._saved = (send, observe)
            Gate.send = crashing_send  # type: ignore[method-assign,assignment]
            Gate.observe = crashing_observe  # type: ignore[method-assign,assignment]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            assert self._saved is not None
            Gate.send, Gate.observe = self._saved  # type: ignore[method-assign]
            self._saved = None
            CrashAfterRequest._active = False
