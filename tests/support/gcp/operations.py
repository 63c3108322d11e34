"""Compute operations: every mutation answers with one, RUNNING first and DONE on a later poll.

GCE's ``insert``/``patch``/``delete``/... return an ``Operation`` (global, regional or zonal like
the resource), and clients poll ``operations.get`` or ``operations.wait`` until ``status`` is DONE;
a failure that happens after the request was accepted is reported in ``error`` and
``httpErrorStatusCode`` of the DONE operation. Here the mutation itself is applied when it is
accepted (or never, for an injected asynchronous failure); the operation only reports it.

An operation lasts ``durations[method glob]`` seconds of the emulator clock (0 by default) and
then answers DONE. ``wait`` blocks, as GCE's does, until the operation is DONE or its server
deadline passes — ``wait_seconds`` (120: "up to 2 minutes" in the operations.wait reference) of
the emulator clock or of real time, whichever comes first — and answers the operation as it is
then (RUNNING when the deadline passed). Tests keep this cheap with short durations, a lower
``wait_seconds`` or ``clock.advance``.
"""

from __future__ import annotations

import fnmatch
import secrets
import time
from dataclasses import dataclass, field

from google.cloud import compute_v1

from .errors import ComputeError, not_found
from .store import Store, link, region_url, scope_path, short, zone_url


@dataclass
class _Tracked:
    operation: compute_v1.Operation
    polls_left: int
    error: ComputeError | None
    done_at: float = field(default=0.0)


class Operations:
    """Operation records; ``running_polls`` get/wait calls see RUNNING before DONE."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ops: dict[str, _Tracked] = {}
        self._by_request_id: dict[tuple[str, str], str] = {}
        self.running_polls = 0
        self.durations: dict[str, float] = {}
        self.wait_seconds = WAIT_SECONDS

    def reset(self) -> None:
        self._ops.clear()
        self._by_request_id.clear()
        self.running_polls = 0
        self.durations = {}
        self.wait_seconds = WAIT_SECONDS

    def duration(self, method_id: str) -> float:
        """Seconds an operation of ``method_id`` runs (the first matching glob of ``durations``)."""
        return next(
            (s for glob, s in self.durations.items() if fnmatch.fnmatchcase(method_id, glob)), 0.0
        )

    def start(
        self,
        *,
        project: str,
        operation_type: str,
        target_link: str,
        target_id: int | None,
        region: str | None = None,
        zone: str | None = None,
        error: ComputeError | None = None,
        request_id: str = "",
        method_id: str = "",
    ) -> compute_v1.Operation:
        """Record a RUNNING operation (remembered under a non-empty ``request_id``)."""
        millis = int(time.time() * 1000)
        name = f"operation-{millis}-{secrets.token_hex(6)}-{secrets.token_hex(4)}"
        scope = scope_path(project, region=region, zone=zone)
        operation = compute_v1.Operation(
            kind="compute#operation",
            id=self._store.new_id(),
            name=name,
            operation_type=operation_type,
            target_link=target_link,
            status=compute_v1.Operation.Status.RUNNING,
            progress=0,
            insert_time=self._store.timestamp(),
            start_time=self._store.timestamp(),
            user="emulator@cloudrig.test",
            self_link=link(scope, "operations", name),
        )
        if target_id is not None:
            operation.target_id = target_id
        if region:
            operation.region = region_url(project, region)
        if zone:
            operation.zone = zone_url(project, zone)
        if request_id:
            operation.client_operation_id = request_id
            self._by_request_id[(project, request_id)] = operation.self_link
        done_at = self._store.clock.now() + self.duration(method_id)
        self._ops[operation.self_link] = _Tracked(operation, self.running_polls, error, done_at)
        return compute_v1.Operation(operation)

    def replay(self, project: str, request_id: str) -> compute_v1.Operation | None:
        """The operation an earlier request with this ``requestId`` started, if any."""
        earlier = self._by_request_id.get((project, request_id))
        return None if earlier is None else self._view(earlier, poll=False)

    def poll(
        self, project: str, name: str, region: str | None = None, zone: str | None = None
    ) -> compute_v1.Operation:
        """``operations.get`` / ``operations.wait``: one poll, which may complete the operation."""
        return self._view(
            link(scope_path(project, region=region, zone=zone), "operations", name), poll=True
        )

    def block(
        self, project: str, name: str, region: str | None = None, zone: str | None = None
    ) -> None:
        """``wait``'s blocking, before its poll: until the operation could be DONE or the
        server deadline passes. Called without the store lock; takes it for each look."""
        self_link = link(scope_path(project, region=region, zone=zone), "operations", name)
        clock = self._store.clock
        started, started_real = clock.now(), time.monotonic()
        while True:
            with self._store.lock:
                tracked = self._ops.get(self_link)
                if tracked is None or self._ready(tracked):
                    return
                deadline = self.wait_seconds
            if max(clock.now() - started, time.monotonic() - started_real) >= deadline:
                return
            time.sleep(_BLOCK_STEP)

    def _ready(self, tracked: _Tracked) -> bool:
        """A poll now would answer without blocking (DONE, or a scripted RUNNING answer)."""
        return (
            tracked.operation.status == compute_v1.Operation.Status.DONE
            or tracked.polls_left > 0
            or self._store.clock.now() >= tracked.done_at
        )

    def _view(self, self_link: str, *, poll: bool) -> compute_v1.Operation:
        tracked = self._ops.get(self_link)
        if tracked is None:
            raise not_found(short(self_link))
        op = tracked.operation
        if poll and op.status != compute_v1.Operation.Status.DONE:
            if tracked.polls_left > 0:
                tracked.polls_left -= 1
            elif self._store.clock.now() >= tracked.done_at:
                self._finish(tracked)
        return compute_v1.Operation(op)

    def _finish(self, tracked: _Tracked) -> None:
        op = tracked.operation
        op.status = compute_v1.Operation.Status.DONE
        op.progress = 100
        op.end_time = self._store.timestamp()
        if tracked.error is not None:
            err = tracked.error
            op.error = compute_v1.Error(
                errors=[compute_v1.Errors(code=err.reason, message=err.message)]
            )
            op.http_error_status_code = err.code
            op.http_error_message = _HTTP_ERROR_MESSAGES.get(err.code, "ERROR")


WAIT_SECONDS = 120.0
"""GCE's server deadline of ``operations.wait``."""
_BLOCK_STEP = 0.005

# GCE's httpErrorMessage is the upper-case reason phrase; the detail is in error.errors[].
_HTTP_ERROR_MESSAGES = {
    400: "BAD REQUEST",
    403: "FORBIDDEN",
    404: "NOT FOUND",
    409: "CONFLICT",
    412: "PRECONDITION FAILED",
    429: "TOO MANY REQUESTS",
    500: "INTERNAL SERVER ERROR",
    503: "SERVICE UNAVAILABLE",
}
