"""``CrashAfterRequest``: the kill switch of the crash matrix fires after the k-th answered request,
whichever way the provider attached its gate (``send`` or ``admit``/``observe``), and only once."""

from __future__ import annotations

import pytest

from cloudrig.ratelimit import Call, CallClass, Gate, Limiter, Verdict
from cloudrig.testing import CrashAfterRequest, SimulatedCrash


def gate() -> Gate:
    return Limiter().gate(cloud="test", identity="me", classify=lambda outcome: Verdict.OK)


CALL = Call("svc", "Write", "r1", CallClass.MUTATE)


def test_send_crashes_after_the_kth_answer_was_received() -> None:
    applied: list[int] = []
    g = gate()
    with CrashAfterRequest(2) as crash:
        g.send(CALL, lambda: applied.append(1))
        with pytest.raises(SimulatedCrash, match="after request 2"):
            g.send(CALL, lambda: applied.append(2))
        g.send(CALL, lambda: applied.append(3))  # fires once
    assert applied == [1, 2, 3]  # the second request was applied before the crash
    assert crash.fired
    assert crash.requests == 3


def test_observe_counts_answers_for_hook_attached_transports() -> None:
    g = gate()
    with CrashAfterRequest(1) as crash:
        g.admit(CALL)
        with pytest.raises(SimulatedCrash):
            g.observe(CALL, {"ResponseMetadata": {}})
    assert crash.fired


def test_the_gate_is_itself_again_after_the_block() -> None:
    observe = Gate.observe
    with CrashAfterRequest(5):
        assert Gate.observe is not observe
    assert Gate.observe is observe
    with CrashAfterRequest(1), pytest.raises(RuntimeError, match="do not nest"):
        CrashAfterRequest(1).__enter__()
