"""Compute operations: every mutation answers with one, RUNNING first and DONE on a later poll.

GCE's ``insert``/``patch``/``delete``/... return an ``Operation`` (global, regional or zonal like
the resource), and clients poll ``operations.get`` or ``operations.wait`` until ``status`` is DONE;
a failure that happens after the request was accepted is reported in ``error`` and
``httpErrorStatusCode`` of the DONE operation. Here the mutation itself is applied when it is
accepted (or never, for an injected asynchronous failure); the operation only reports it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from google.cloud import compute_v1

from .errors import ComputeError, not_found
from .store import Store, link, region_url, scope_path, short, zone_url


@dataclass
class _Tracked:
    operation: compute_v1.Operation
    polls_left: int
    error: ComputeError | None


class Operations:
    """Operation records; ``running_polls`` get/wait calls see RUNNING before DONE."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ops: dict[str, _Tracked] = {}
        self._by_request_id: dict[tuple[str, str], str] = {}
        self.running_polls = 0

    def reset(self) -> None:
        self._ops.clear()
        self._by_request_id.clear()
        self.running_polls = 0

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
        self._ops[operation.self_link] = _Tracked(operation, self.running_polls, error)
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

    def _view(self, self_link: str, *, poll: bool) -> compute_v1.Operation:
        tracked = self._ops.get(self_link)
        if tracked is None:
            raise not_found(short(self_link))
        op = tracked.operation
        if poll and op.status != compute_v1.Operation.Status.DONE:
            if tracked.polls_left > 0:
                tracked.polls_left -= 1
            else:
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
