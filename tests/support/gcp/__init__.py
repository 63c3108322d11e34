"""A Compute REST emulator for the real google-cloud-compute clients (see tests/README.md, GCP).

Use the ``gcp_compute`` fixture from ``support.gcp.plugin``; build clients with
``gcp_compute.client(compute_v1.XxxClient)`` and wait for operations with
:func:`wait_for_operation`, never with ``.result()`` (it would poll the real Google endpoint).

The names below are imported lazily, so that loading the pytest plugin does not need
google-cloud-compute: without it, only the tests that ask for the emulator skip (or fail in CI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from support.gcp.errors import ComputeError
    from support.gcp.faults import FaultRule
    from support.gcp.server import ComputeEmulator, make_client
    from support.gcp.waiting import wait_for_operation

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = ["ComputeEmulator", "ComputeError", "FaultRule", "make_client", "wait_for_operation"]
