"""Which requests a fault applies to: selection by method, path, operation, position and chance."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from support.proxy.faults import Action


@dataclass(frozen=True)
class Request:
    """What the proxy knows about one request when it decides what to do with it."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def operation(self) -> str | None:
        """The AWS operation name: ``X-Amz-Target`` (JSON protocol) or ``Action=`` (query protocol).

        Other clouds have none; select their requests by path instead.
        """
        target = self.headers.get("x-amz-target")
        if target:
            return target.rsplit(".", 1)[-1]
        action = parse_qs(self.query).get("Action")
        if action:
            return action[0]
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            action = parse_qs(self.body.decode("utf-8", "replace")).get("Action")
            if action:
                return action[0]
        return None

    @property
    def label(self) -> str:
        """The key the proxy counts this request under: the operation, else ``METHOD /path``."""
        return self.operation or f"{self.method} {self.path}"


@dataclass
class Rule:
    """Apply ``action`` to the requests this rule selects.

    All given selectors must match: ``method`` (exact, case-insensitive), ``path`` (a regex searched
    in the path, query excluded), ``operation`` (see ``Request.operation``). Among the matching
    calls (counted per rule, 1-based) the rule can fire from the ``nth`` on, at most ``times``
    times (None: unlimited), each time with ``probability`` drawn from a generator seeded with
    ``seed`` (reproducible runs). ``Rule(a, operation="X", nth=3, times=1)`` fails exactly the
    third X call.
    """

    action: Action
    method: str | None = None
    path: str | None = None
    operation: str | None = None
    nth: int = 1
    times: int | None = None
    probability: float = 1.0
    seed: int | None = None
    matched: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.nth < 1:
            raise ValueError("nth counts from 1")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")
        self._random = random.Random(self.seed)

    def selects(self, request: Request) -> bool:
        """Whether the selectors match (no state change)."""
        if self.method is not None and self.method.upper() != request.method.upper():
            return False
        if self.path is not None and re.search(self.path, request.path) is None:
            return False
        return self.operation is None or self.operation == request.operation

    def fire(self, request: Request) -> Action | None:
        """Count a matching call and return the action if the rule fires for it."""
        if not self.selects(request):
            return None
        with self._lock:
            self.matched += 1
            if self.matched < self.nth:
                return None
            if self.times is not None and self.fired >= self.times:
                return None
            if self.probability < 1.0 and self._random.random() >= self.probability:
                return None
            self.fired += 1
            return self.action
