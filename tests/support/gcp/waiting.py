"""Waiting for Compute operations safely against the emulator (or any non-default endpoint).

The trap: ``ExtendedOperation.result()`` returned by a compute_v1 mutation polls through
operations clients the transport builds WITHOUT the caller's client options, so against an
emulator it calls the real ``compute.googleapis.com``. Poll instead with a
``GlobalOperationsClient`` / ``RegionOperationsClient`` / ``ZoneOperationsClient`` built with the
same endpoint, via ``wait`` (GCE may return from ``wait`` before DONE, so loop), and raise the
same ``google.api_core.exceptions`` error ``.result()`` would.
"""

from __future__ import annotations

import time
from typing import Any

from google.api_core import exceptions
from google.cloud import compute_v1

from .server import make_client


def _path_value(self_link: str, key: str) -> str:
    parts = self_link.split("/")
    return parts[parts.index(key) + 1]


def wait_for_operation(
    operation: Any, endpoint: str, *, timeout: float = 30.0
) -> compute_v1.Operation:
    """Poll ``operation`` (an ExtendedOperation or Operation) to DONE on ``endpoint``.

    Global, regional and zonal operations.

    Returns the DONE ``Operation``; raises the api_core exception for its HTTP error
    (e.g. ``BadRequest``) when it failed, ``TimeoutError`` when it is not DONE in time.
    """
    self_link: str = operation.self_link
    project = _path_value(self_link, "projects")
    current: compute_v1.Operation
    if operation.region:
        regional = make_client(compute_v1.RegionOperationsClient, endpoint)

        def poll() -> compute_v1.Operation:
            return regional.wait(
                project=project,
                region=operation.region.rsplit("/", 1)[-1],
                operation=operation.name,
            )
    elif operation.zone:
        zonal = make_client(compute_v1.ZoneOperationsClient, endpoint)

        def poll() -> compute_v1.Operation:
            return zonal.wait(
                project=project, zone=operation.zone.rsplit("/", 1)[-1], operation=operation.name
            )
    else:
        global_ = make_client(compute_v1.GlobalOperationsClient, endpoint)

        def poll() -> compute_v1.Operation:
            return global_.wait(project=project, operation=operation.name)

    deadline = time.monotonic() + timeout
    current = poll()
    while current.status != compute_v1.Operation.Status.DONE:
        if time.monotonic() > deadline:
            raise TimeoutError(f"operation {operation.name} not DONE after {timeout} s")
        time.sleep(0.01)
        current = poll()
    if current.http_error_status_code or current.error.errors:
        raise exceptions.from_http_status(
            current.http_error_status_code or 500,
            current.http_error_message or "operation failed",
            errors=list(current.error.errors),
            response=current,
        )
    return current
