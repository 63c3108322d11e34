"""Pytest fixtures for the Compute REST emulator (loaded from tests/conftest.py ``pytest_plugins``).

- ``gcp_emulator`` (session): started on first use, stopped at the end of the session.
- ``gcp_compute`` (function): the same emulator, reset before the test; the test fails if the
  emulator hit an internal error while serving it (an emulator bug must not pass as a 500).

Example::

    def test_x(gcp_compute):
        templates = gcp_compute.client(compute_v1.InstanceTemplatesClient)
        op = templates.insert(project="p", instance_template_resource=...)
        wait_for_operation(op, gcp_compute.endpoint)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import ComputeEmulator


def _unavailable(reason: str) -> None:
    message = (
        f"the Compute REST emulator cannot start: {reason}. Install the test servers group "
        "(`pip install google-cloud-compute`, listed in pyproject's test-servers dependency group)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def gcp_emulator() -> Iterator[ComputeEmulator]:
    try:
        from .server import ComputeEmulator
    except ImportError as error:  # google-cloud-compute missing
        _unavailable(str(error))
        raise  # unreachable: _unavailable always raises
    try:
        emulator = ComputeEmulator().start()
    except OSError as error:
        _unavailable(f"cannot bind a loopback port ({error})")
        raise
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def gcp_compute(gcp_emulator: ComputeEmulator) -> Iterator[ComputeEmulator]:
    gcp_emulator.reset()
    yield gcp_emulator
    errors = list(gcp_emulator.internal_errors)
    if errors:
        pytest.fail("the Compute emulator failed internally:\n" + "\n".join(errors), pytrace=False)
