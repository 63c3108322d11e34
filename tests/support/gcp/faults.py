"""Fault rules and request counting: what the emulator refuses on purpose, and what it saw.

Rules match a method id (``backendServices.patch``) or a glob (``regionInstanceGroupManagers.*``,
``*``). A synchronous rule answers the HTTP request with an error; an operation rule lets the
request succeed with a RUNNING operation that later ends DONE with ``error`` set (GCE's
asynchronous failure), and the mutation is not applied.
"""

from __future__ import annotations

import collections
import fnmatch
import threading
from dataclasses import dataclass, field

from .errors import ComputeError


@dataclass
class FaultRule:
    """Fail matching requests; ``times=None`` means every match until removed."""

    method: str
    error: ComputeError
    times: int | None = None
    asynchronous: bool = False
    hits: int = field(default=0)

    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """The rule list of one emulator (thread-safe; first matching live rule wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(
        self,
        method: str,
        status: int,
        *,
        reason: str | None = None,
        message: str | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Answer matching requests with ``status`` (e.g. 429 rateLimitExceeded, 503)."""
        rule = FaultRule(method, ComputeError.status(status, reason, message), times)
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_operation(
        self,
        method: str,
        *,
        status: int = 400,
        code: str = "RESOURCE_OPERATION_FAILED",
        message: str = "Operation failed (injected by the test).",
        times: int | None = 1,
    ) -> FaultRule:
        """Accept matching mutations but end their operation DONE with this error."""
        rule = FaultRule(method, ComputeError(status, code, message), times, asynchronous=True)
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method_id: str, *, asynchronous: bool) -> FaultRule | None:
        """The first live rule of the given kind matching ``method_id``, counting the hit."""
        with self._lock:
            for rule in self._rules:
                if rule.asynchronous != asynchronous or rule.exhausted():
                    continue
                if fnmatch.fnmatchcase(method_id, rule.method):
                    rule.hits += 1
                    return rule
        return None


class RequestCounter:
    """Requests received per method id (faulted ones included: the server saw them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()

    def add(self, method_id: str) -> None:
        with self._lock:
            self._counts[method_id] += 1

    def count(self, method: str | None = None) -> int:
        """All requests, or those of one method id or glob (``globalOperations.*``)."""
        with self._lock:
            if method is None:
                return sum(self._counts.values())
            return sum(n for m, n in self._counts.items() if fnmatch.fnmatchcase(m, method))

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
