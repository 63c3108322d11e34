"""Optimistic concurrency: read, change with the resourceVersion read, re-read on a stale 409.

Every change cloudrig makes to an existing object (resize, enable/disable) is a patch that carries
the ``resourceVersion`` it was computed from, so a concurrent writer (an autoscaler, another
tool) is never overwritten silently: the API server answers 409 Conflict, and the change is
recomputed from a fresh read. The limiter's retry policy does not cover this: a stale write is
not a transient failure of one request but a decision to redo with new data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes.client.exceptions import ApiException

from cloudrig import Conflict
from cloudrig_kubernetes.errors import is_stale, map_error

T = TypeVar("T")
ATTEMPTS = 5


def optimistic(
    read: Callable[[], dict[str, Any]],
    write: Callable[[dict[str, Any]], T],
    *,
    what: str,
    account: str,
    resource: str,
) -> T:
    """``write(read())`` until it is not refused as stale (at most ``ATTEMPTS`` times).

    ``write`` raises ``ApiException`` unmapped (``KubeClient.raw``) so a stale answer can be
    told apart; any other failure is mapped to a cloudrig error here."""
    last: ApiException | None = None
    for _ in range(ATTEMPTS):
        current = read()
        try:
            return write(current)
        except ApiException as exc:
            if not is_stale(exc):
                raise map_error(exc, what, account=account, resource=resource) from exc
            last = exc
    raise Conflict(
        f"{what}: still stale after {ATTEMPTS} attempts (another writer keeps changing it)",
        provider="kubernetes",
        account=account,
        resource=resource,
    ) from last
