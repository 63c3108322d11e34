"""Counts the requests each client user made, from the kube-apiserver's audit log.

Why the audit log: it is the server's own record of every request it served, one JSON event per
stage, carrying the authenticated user name. Tests use it to prove "requests the server saw ==
requests our rate limiter admitted" without trusting anything on the client side.

The policy written by :func:`write_policy` logs every request at ``Metadata`` level and omits the
``RequestReceived`` stage, so a plain request yields one event (``ResponseComplete``) and a watch two
(``ResponseStarted``, then ``ResponseComplete`` when it ends). A request is therefore counted once,
by its ``auditID``, at the first event seen for it. The log backend runs in ``blocking`` mode: the
event is written before the response is finished, so a client that has its response can count it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
"""


class AuditUnavailableError(RuntimeError):
    """Raised when request counting is asked of a cluster whose audit log the tests cannot read."""


def write_policy(path: Path) -> Path:
    """Write the audit policy (every request, Metadata level) and return its path."""
    path.write_text(AUDIT_POLICY)
    return path


@dataclass
class _Seen:
    user: str
    first_offset: int


@dataclass
class AuditLog:
    """Incremental reader of a JSON-lines audit log; thread-safe.

    A *mark* is a byte offset in the log: ``requests_by(user, since=log.mark())`` counts only the
    requests whose first event was written after the mark was taken.
    """

    path: Path
    _offset: int = 0
    _requests: dict[str, _Seen] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _read_new(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        end = chunk.rfind(b"\n")
        if end < 0:
            return  # nothing complete yet (a line being written is read next time)
        offset = self._offset
        for line in chunk[: end + 1].splitlines(keepends=True):
            if line.strip():
                event = json.loads(line)
                audit_id = event["auditID"]
                if audit_id not in self._requests:
                    user = event.get("user", {}).get("username", "")
                    self._requests[audit_id] = _Seen(user=user, first_offset=offset)
            offset += len(line)
        self._offset = offset

    def mark(self) -> int:
        """Return a mark: only requests logged after this point count with ``since=mark``."""
        with self._lock:
            self._read_new()
            return self._offset

    def requests_by(self, user: str, since: int = 0) -> int:
        """Number of requests the server served for ``user`` (its authenticated name) since a mark."""
        with self._lock:
            self._read_new()
            return sum(
                1 for s in self._requests.values() if s.user == user and s.first_offset >= since
            )

    def users(self, since: int = 0) -> dict[str, int]:
        """Requests per user since a mark (a debugging aid when a count does not match)."""
        with self._lock:
            self._read_new()
            counts: dict[str, int] = {}
            for s in self._requests.values():
                if s.first_offset >= since:
                    counts[s.user] = counts.get(s.user, 0) + 1
            return counts
