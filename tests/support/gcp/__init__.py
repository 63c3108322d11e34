"""A Compute REST emulator for the real google-cloud-compute clients (see tests/README.md, GCP).

Use the ``gcp_compute`` fixture from ``support.gcp.plugin``; build clients with
``gcp_compute.client(compute_v1.XxxClient)`` and wait for operations with
:func:`wait_for_operation`, never with ``.result()`` (it would poll the real Google endpoint).
"""

from .errors import ComputeError
from .faults import FaultRule
from .server import ComputeEmulator, make_client
from .waiting import wait_for_operation

__all__ = ["ComputeEmulator", "ComputeError", "FaultRule", "make_client", "wait_for_operation"]
