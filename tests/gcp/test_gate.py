"""The limiter is attached at the Compute clients' HTTP session: every request the emulator sees
was admitted once, throttling answers slow the bucket down and are retried by cloudrig's policy
(google-api-core never retries), operations are polled on the configured endpoint, and a stale
fingerprint is retried with a fresh read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import Capacity, Conflict, ProviderFailure, Throttled
from cloudrig.ratelimit import Limiter

from .conftest import REGION, fast_limits
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.gcp


def admitted(limiter: Limiter) -> int:
    return sum(s.admitted for s in limiter.stats().values())


def test_every_request_at_the_server_was_admitted_once(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    limiter = Limiter(fast_limits())
    provider = make_gcp_provider(limiter=limiter)
    upsert_load_balancer(provider, "web")
    request = create_request("web", load_balancers=("web",))
    provider.server_groups.create(request)
    provider.server_groups.get(REGION, request.name)
    provider.server_groups.disable(REGION, request.name)
    provider.server_groups.enable(REGION, request.name)
    provider.server_groups.resize(REGION, request.name, Capacity(min=1, desired=1, max=3))
    provider.server_groups.destroy(REGION, request.name)
    assert gcp_compute.count() > 20
    assert gcp_compute.count() == admitted(limiter)
    # Buckets are keyed by the project, the service, the region (global for global resources)
    # and the call class.
    assert {
        "gcp/cloudrig-test/compute/us-central1/mutate",
        "gcp/cloudrig-test/compute/global/mutate",
        "gcp/cloudrig-test/compute/us-central1/read",
    } <= set(limiter.stats())


def test_throttling_slows_the_bucket_and_is_retried(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    limiter = Limiter(fast_limits())
    provider = make_gcp_provider(limiter=limiter)
    request = create_request("thr")
    provider.server_groups.create(request)
    gcp_compute.faults.add("instanceGroupManagers.aggregatedList", 429, times=2)
    assert provider.server_groups.describe(REGION, request.name, fresh=True).name == request.name
    assert gcp_compute.count("instanceGroupManagers.aggregatedList") >= 3
    stats = [s for n, s in limiter.stats().items() if "global/read" in n]
    assert sum(s.throttles for s in stats) == 2
    assert min(s.factor for s in stats) < 1.0, "the adaptive limiter must slow the bucket down"
    assert gcp_compute.count() == admitted(limiter)


def test_403_rate_limit_exceeded_is_throttling(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    limiter = Limiter(fast_limits())
    provider = make_gcp_provider(limiter=limiter)
    gcp_compute.faults.add("firewalls.list", 403, reason="rateLimitExceeded", times=1)
    assert provider.security_groups.list(REGION) == []
    assert sum(s.throttles for s in limiter.stats().values()) == 1


def test_throttling_past_every_attempt_is_throttled(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    gcp_compute.faults.add("backendServices.list", 429)
    with pytest.raises(Throttled):
        provider.load_balancers.list(REGION)
    assert gcp_compute.count("backendServices.list") == 4, "the policy's 4 attempts, no more"


def test_server_errors_on_a_mutation_with_a_request_id_are_retried_once_applied(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """A mutation carries a requestId, so it may be retried after a 503: GCE answers a repeat
    with the first operation instead of acting twice."""
    provider = make_gcp_provider()
    request = create_request("again")
    provider.server_groups.create(request)
    gcp_compute.faults.add("regionInstanceGroupManagers.resize", 503, times=1)
    provider.server_groups.resize(REGION, request.name, Capacity.fixed(3))
    assert gcp_compute.count("regionInstanceGroupManagers.resize") == 2
    assert provider.server_groups.get(REGION, request.name).capacity == Capacity.fixed(3)


def test_operations_are_polled_on_the_configured_endpoint(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    """The long-running-operation trap: a RUNNING operation is polled with this account's own
    operations clients (same endpoint, gated), never through ``ExtendedOperation.result()``."""
    limiter = Limiter(fast_limits())
    provider = make_gcp_provider(limiter=limiter)
    request = create_request("lro", capacity=Capacity.fixed(1))
    provider.server_groups.create(request)
    gcp_compute.requests.clear()
    before = admitted(limiter)
    gcp_compute.operations.running_polls = 3
    provider.server_groups.resize(REGION, request.name, Capacity.fixed(2))
    assert gcp_compute.count("regionInstanceGroupManagers.resize") == 1
    assert gcp_compute.count("regionOperations.wait") == 4, "RUNNING x3, then DONE"
    assert gcp_compute.count() == admitted(limiter) - before, "every poll passed the limiter"


def test_a_failed_operation_raises_the_mapped_error(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    request = create_request("opfail")
    provider.server_groups.create(request)
    gcp_compute.faults.fail_operation(
        "regionInstanceGroupManagers.resize", status=503, code="INTERNAL_ERROR"
    )
    with pytest.raises(ProviderFailure, match="INTERNAL_ERROR"):
        provider.server_groups.resize(REGION, request.name, Capacity.fixed(3))


def test_a_stale_fingerprint_is_retried_with_a_fresh_read(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    request = create_request("fp", load_balancers=("web",))
    provider.server_groups.create(request)
    reads = gcp_compute.count("backendServices.get")
    updates = gcp_compute.count("backendServices.update")
    gcp_compute.faults.add("backendServices.update", 412, reason="conditionNotMet", times=1)
    provider.server_groups.disable(REGION, request.name)
    assert gcp_compute.count("backendServices.update") == updates + 2
    assert gcp_compute.count("backendServices.get") == reads + 2, "each attempt reads fresh"
    assert not provider.server_groups.get(REGION, request.name).enabled


def test_a_fingerprint_that_stays_stale_is_a_conflict(
    make_gcp_provider: Callable[..., Any], gcp_compute: Any
) -> None:
    provider = make_gcp_provider()
    upsert_load_balancer(provider, "web")
    request = create_request("fp2", load_balancers=("web",))
    provider.server_groups.create(request)
    updates = gcp_compute.count("backendServices.update")
    gcp_compute.faults.add("backendServices.update", 412, reason="conditionNotMet")
    with pytest.raises(Conflict):
        provider.server_groups.disable(REGION, request.name)
    assert gcp_compute.count("backendServices.update") == updates + 4, "4 fresh reads and tries"
