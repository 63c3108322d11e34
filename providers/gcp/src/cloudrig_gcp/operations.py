"""Waiting for Compute long-running operations with this account's own operations clients.

The trap: ``ExtendedOperation.result()`` polls through operations clients the
transport builds WITHOUT the caller's client options, i.e. the real ``compute.googleapis.com``,
ungated. The provider never calls it: mutations return a plain ``Operation`` (``*_unary``) and
this module polls ``RegionOperationsClient`` / ``ZoneOperationsClient`` /
``GlobalOperationsClient`` ``.wait`` from the same factory (same endpoint, credentials and gate).
GCE's ``wait`` blocks until the operation is DONE or up to 2 minutes (``SERVER_WAIT``), then
answers it as it is, so each ``wait`` request gets a client timeout longer than that (the server's
wait plus the account's per-request ``timeout``): a 30 s client timeout would cut every long wait
and count it as a failure. The loop's one deadline is the operation's — the account's
``operation_timeout`` — not a retry count: a wait that fails transiently (a 5xx, a reset
connection, a throttled poll) after the limiter's retries is polled again until that deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudrig import ProviderFailure, Throttled
from cloudrig_gcp.errors import map_error

if TYPE_CHECKING:
    from cloudrig_gcp.clients import ComputeClients

_FIRST_DELAY, _MAX_DELAY = 0.05, 2.0
SERVER_WAIT = 120.0
"""Seconds GCE's ``operations.wait`` may block before it answers (its reference: 2 minutes)."""


def _short(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def wait(clients: ComputeClients, operation: Any, *, what: str, resource: str | None) -> Any:
    """Poll ``operation`` to DONE; raise the cloudrig error of a failed one."""
    from google.api_core import exceptions as gexc
    from google.cloud import compute_v1

    done = compute_v1.Operation.Status.DONE
    if operation.region:
        cls: type = compute_v1.RegionOperationsClient
        scope = {"region": _short(operation.region)}
    elif operation.zone:
        cls, scope = compute_v1.ZoneOperationsClient, {"zone": _short(operation.zone)}
    else:
        cls, scope = compute_v1.GlobalOperationsClient, {}
    deadline = clients.clock.monotonic() + clients.settings.operation_timeout
    timeout = SERVER_WAIT + clients.settings.timeout
    delay = _FIRST_DELAY
    current = operation
    failure: Exception | None = None
    while current.status != done:
        if clients.clock.monotonic() > deadline:
            raise ProviderFailure(
                f"{what}: operation {operation.name} not DONE after "
                f"{clients.settings.operation_timeout:.0f} s"
                + (f" (last poll: {failure})" if failure is not None else ""),
                provider="gcp",
                account=clients.account,
                resource=resource,
            )
        try:
            current = clients.read(
                cls, "wait", operation=operation.name, resource=resource, timeout=timeout, **scope
            )
            failure = None
        except (ProviderFailure, Throttled) as poll_failure:  # the operation runs on: poll again
            failure = poll_failure
        if current.status != done:
            clients.clock.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)
    if current.http_error_status_code or current.error.errors:
        errors = list(current.error.errors)
        message = "; ".join(f"{e.code}: {e.message}" for e in errors) or (
            current.http_error_message or "operation failed"
        )
        status = current.http_error_status_code or 500
        error = gexc.from_http_status(status, message, errors=errors)  # type: ignore[no-untyped-call]
        raise map_error(error, what, account=clients.account, resource=resource) from error
    return current
