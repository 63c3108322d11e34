"""Long-running operations against an emulator whose ``operations.wait`` blocks until DONE or its
server deadline, as GCE's does: a wait request outlives the per-request timeout, and the wait's
one deadline is the operation's (``operation_timeout``), not the limiter's retry count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import ProviderFailure

from .conftest import REGION
from .scenario import create_request

pytestmark = pytest.mark.gcp


def test_a_wait_may_block_longer_than_the_request_timeout(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """Each request may take 0.5 s, the server's wait blocks up to 1 s (GCE: 120 s against a
    30 s default) and the MIG insert runs 2.6 s (longer than the limiter's 4 attempts of 0.5 s):
    the create still succeeds, each wait answered by the server, none cut by the client."""
    gcp_compute.operations.wait_seconds = 1.0
    gcp_compute.operations.durations["regionInstanceGroupManagers.insert"] = 2.6
    provider = make_gcp_provider(timeout=0.5)
    request = create_request("slow")
    group = provider.server_groups.create(request)
    assert group.name == request.name
    waits = gcp_compute.count("regionOperations.wait")
    assert 3 <= waits <= 6, "the insert's wait answered RUNNING at the server deadline, then DONE"


def test_a_wait_that_keeps_failing_is_polled_until_the_operation_deadline(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """More 503s on the wait than the limiter retries: the operation is still polled (its own
    deadline decides), and the create succeeds."""
    gcp_compute.faults.add("regionOperations.wait", 503, times=6)  # the limiter retries 4 times
    provider = make_gcp_provider()
    request = create_request("flaky")
    assert provider.server_groups.create(request).name == request.name
    assert gcp_compute.count("regionOperations.wait") >= 7


def test_an_operation_past_its_deadline_fails_naming_it(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    gcp_compute.operations.wait_seconds = 0.1
    gcp_compute.operations.durations["regionInstanceTemplates.insert"] = 3600
    provider = make_gcp_provider(operation_timeout=0.5)
    with pytest.raises(ProviderFailure, match="not DONE after"):
        provider.server_groups.create(create_request("stuck"))
    assert provider.server_groups.list("stuck", REGION) == [], "the MIG was never inserted"
