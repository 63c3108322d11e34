"""Fault injection for the reference provider: errors, latency, throttling and crashes, per operation.

Each rule targets one contract operation, a set of them (``cloudrig.provider.MUTATING`` for every mutating
call, as a fault matrix "crash at the k-th mutation" needs) or ``"*"`` for all, and fires on a
chosen window of the matching calls counted from when it was added: ``nth=3`` only on the third call, ``times=2`` on the next two,
both to start at the nth and fire ``times`` times, neither to fire on every call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cloudrig._errors import Throttled

ErrorFactory = type[BaseException] | BaseException | Callable[[str], BaseException]
Operations = str | Iterable[str]


def _target(operation: Operations) -> str | frozenset[str]:
    return operation if isinstance(operation, str) else frozenset(operation)


class SimulatedCrash(BaseException):
    """The process 'died' here. A ``BaseException`` so ``except Exception`` handlers (and the
    ``Account`` guard) let it unwind like a killed process would, leaving state as it was."""


class FaultKind(StrEnum):
    ERROR = "error"
    LATENCY = "latency"
    CRASH = "crash"


@dataclass
class FaultRule:
    """One injected fault. ``seen`` counts matching calls, ``fired`` the calls it affected."""

    operation: str | frozenset[str]  # "*", one operation, or a set of operations
    kind: FaultKind
    error: ErrorFactory | None = None
    latency: float = 0.0
    after_call: bool = False  # for crashes: the call takes effect in the cloud, then the crash
    nth: int | None = None
    times: int | None = None
    seen: int = 0
    fired: int = 0

    def _matches(self, operation: str) -> bool:
        if isinstance(self.operation, frozenset):
            return operation in self.operation
        return self.operation in ("*", operation)

    def _fires(self) -> bool:
        """Count one matching call; True when this call is in the rule's window."""
        self.seen += 1
        start = self.nth or 1
        limit = self.times if self.times is not None else (1 if self.nth is not None else None)
        if self.seen < start or (limit is not None and self.fired >= limit):
            return False
        self.fired += 1
        return True

    def make_error(self, operation: str) -> BaseException:
        """The exception this rule raises for ``operation``: its ``error`` instance as given, or
        an instance of its ``error`` class with a message naming the operation."""
        error = self.error
        message = f"injected fault in {operation}"
        if isinstance(error, BaseException):
            return error
        if isinstance(error, type):
            instance: BaseException = error(message)
            return instance
        if error is None:
            return SimulatedCrash(f"simulated crash in {operation}")
        made: BaseException = error(operation)
        return made


@dataclass
class FiredFaults:
    """The rules that fire for one call, in the order they apply."""

    latency: float = 0.0
    error: BaseException | None = None
    crash_before: bool = False
    crash_after: bool = False
    rules: list[FaultRule] = field(default_factory=list)


class Faults:
    """The fault rules of one reference cloud (shared by every provider instance on it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []

    def _add(self, rule: FaultRule) -> FaultRule:
        if rule.nth is not None and rule.nth < 1:
            raise ValueError("nth counts calls from 1")
        if rule.times is not None and rule.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self.rules.append(rule)
        return rule

    def fail(
        self,
        operation: Operations,
        error: ErrorFactory,
        *,
        nth: int | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Raise ``error`` instead of performing the call: any ``ProviderError`` (an instance, a
        class built with a message, or ``callable(operation)``), or a non-cloudrig exception to
        simulate a provider bug that leaks an SDK error."""
        rule = FaultRule(_target(operation), FaultKind.ERROR, error=error, nth=nth, times=times)
        return self._add(rule)

    def throttle(
        self,
        operation: Operations,
        *,
        retry_after: float | None = None,
        nth: int | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Answer ``Throttled`` (with ``retry_after`` when given) instead of performing the call."""

        def throttled(op: str) -> BaseException:
            return Throttled(f"injected throttling in {op}", retry_after=retry_after)

        return self.fail(operation, throttled, nth=nth, times=times)

    def delay(
        self,
        operation: Operations,
        seconds: float,
        *,
        nth: int | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Add ``seconds`` of latency (slept on the provider's clock) before the call."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        return self._add(
            FaultRule(_target(operation), FaultKind.LATENCY, latency=seconds, nth=nth, times=times)
        )

    def crash(
        self,
        operation: Operations,
        *,
        after_call: bool = True,
        nth: int | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Raise ``SimulatedCrash``: by default after the call took effect in the cloud (the
        process died before it saw the answer), or before it with ``after_call=False``.
        ``crash("create_server_group", nth=2)`` crashes right after the second create."""
        return self._add(
            FaultRule(
                _target(operation), FaultKind.CRASH, after_call=after_call, nth=nth, times=times
            )
        )

    def clear(self) -> None:
        """Remove every rule: calls go through unharmed again."""
        with self._lock:
            self.rules.clear()

    def remove(self, rule: FaultRule) -> None:
        """Remove one rule (nothing when it is not installed)."""
        with self._lock:
            if rule in self.rules:
                self.rules.remove(rule)

    def fire(self, operation: str) -> FiredFaults:
        """Count this call against every matching rule and return what applies to it."""
        fired = FiredFaults()
        with self._lock:
            for rule in self.rules:
                if not rule._matches(operation) or not rule._fires():
                    continue
                fired.rules.append(rule)
                if rule.kind is FaultKind.LATENCY:
                    fired.latency += rule.latency
                elif rule.kind is FaultKind.CRASH:
                    if rule.after_call:
                        fired.crash_after = True
                    else:
                        fired.crash_before = True
                elif fired.error is None:
                    fired.error = rule.make_error(operation)
        return fired
