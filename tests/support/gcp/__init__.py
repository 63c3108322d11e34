"""A Compute REST emulator for the real google-cloud-compute clients (see tests/README.md, GCP).

Use the ``gcp_compute`` fixture from ``support.gcp.plugin``; build clients with
``gcp_compute.client(compute_v1.XxxClient)`` and wait for operations with
:func:`wait_for_operation`, never with ``.result()`` (it would poll the real Google endpoint).

The names below are imported lazily, so that loading the pytest plugin does not need
google-cloud-compute: without it, only the tests that ask for the emulator skip (or fail in CI).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import ComputeError
    from .faults import FaultRule
    from .server import ComputeEmulator, make_client
    from .waiting import wait_for_operation

__all__ = ["ComputeEmulator", "ComputeError", "FaultRule", "make_client", "wait_for_operation"]

_HOMES = {
    "ComputeEmulator": "server",
    "make_client": "server",
    "ComputeError": "errors",
    "FaultRule": "faults",
    "wait_for_operation": "waiting",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
