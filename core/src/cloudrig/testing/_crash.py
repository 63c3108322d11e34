"""A deployer killed between a request and its answer: the crash matrix's kill switch.

Every request a provider sends passes its limiter's ``Gate`` (``docs/architecture.md`` §5), and the
gate is also where the answer is first seen: ``Gate.observe`` classifies every answer, whether the
provider sends through ``Gate.send`` or attaches ``admit``/``observe`` to its SDK's hooks. ``CrashAfterRequest(k)`` raises ``SimulatedCrash`` right there for
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
from types import TracebackType
from typing import Any, ClassVar

from cloudrig.ratelimit import Gate, RateLimited
from cloudrig.testing._faults import SimulatedCrash


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
        self._saved: Any = None

    def _answered(self, what: str) -> None:
        self.requests += 1
        if self.requests == self.k and not self.fired:
            self.fired = True
            raise SimulatedCrash(f"simulated kill after request {self.k} ({what}) was applied")

    def __enter__(self) -> CrashAfterRequest:
        crash = self
        observe = Gate.observe

        # ``Gate.send`` classifies every answer through ``observe`` too, so this one place sees
        # each answered request exactly once, whichever way the provider attached its gate.
        def crashing_observe(gate: Gate, call: Any, outcome: Any) -> Any:
            verdict = observe(gate, call, outcome)
            if not isinstance(outcome, (RateLimited, SimulatedCrash)):
                crash._answered(f"{call.service} {call.operation}")
            return verdict

        with self._lock:
            if CrashAfterRequest._active:
                raise RuntimeError("CrashAfterRequest blocks do not nest")
            CrashAfterRequest._active = True
            self._saved = observe
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
            Gate.observe = self._saved  # type: ignore[method-assign]
            self._saved = None
            CrashAfterRequest._active = False
