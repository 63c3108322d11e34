"""The limiter is attached at botocore's transport: every request the server sees was admitted,
throttling answers slow the bucket down and are retried, botocore never retries on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import Capacity, ProviderFailure
from cloudrig.ratelimit import Limiter
from support.proxy import Style, server_error, throttle

from .conftest import REGION, fast_limits
from .scenario import create_request, upsert_load_balancer

pytestmark = pytest.mark.moto


def admitted(limiter: Limiter) -> int:
    return sum(s.admitted for s in limiter.stats().values())


def test_every_request_at_the_server_was_admitted_once(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=limiter)
    upsert_load_balancer(provider, "web")
    request = create_request("web", sequence=1, load_balancers=("web",))
    provider.server_groups.create(request)
    provider.server_groups.get(REGION, request.name)
    provider.server_groups.disable(REGION, request.name)
    provider.server_groups.enable(REGION, request.name)
    provider.server_groups.resize(REGION, request.name, Capacity.fixed(1))
    provider.server_groups.destroy(REGION, request.name)
    assert proxy.forwarded() > 10
    assert proxy.forwarded() == admitted(limiter) == moto_aws.request_count()
    # Buckets are keyed by the AWS account id, service, region and call class.
    assert {
        "aws/123456789012/autoscaling/us-east-1/mutate",
        "aws/123456789012/ec2/us-east-1/mutate",
    } <= set(limiter.stats())


def test_throttling_slows_the_bucket_and_is_retried(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=limiter)
    request = create_request("thr", sequence=1)
    provider.server_groups.create(request)
    listed = proxy.forwarded("DescribeAutoScalingGroups")  # create's look for a previous version
    proxy.add(throttle(Style.AWS_QUERY), operation="DescribeAutoScalingGroups", times=2)
    group = provider.server_groups.get(REGION, request.name)  # botocore parses the injected XML
    assert group.name == request.name
    assert proxy.answered("DescribeAutoScalingGroups") == 2
    assert proxy.forwarded("DescribeAutoScalingGroups") == listed + 1
    stats = [s for n, s in limiter.stats().items() if "/autoscaling/" in n and "read" in n]
    assert sum(s.throttles for s in stats) == 2
    assert min(s.factor for s in stats) < 1.0, "the adaptive limiter must slow the bucket down"
    assert proxy.forwarded() + proxy.answered() == admitted(limiter)


def test_ec2_request_limit_exceeded_is_throttling(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=limiter)
    proxy.add(throttle(Style.EC2), operation="DescribeSecurityGroups", times=1)
    assert provider.security_groups.list(REGION)  # the default group
    assert proxy.answered("DescribeSecurityGroups") == 1
    assert sum(s.throttles for s in limiter.stats().values()) == 1


def test_unsafe_mutation_is_sent_once_and_mapped(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    """A 5xx on CreateAutoScalingGroup may have created it: no blind retry, one request, and a
    cloudrig error (never botocore's); a 5xx on a read is retried."""
    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=limiter)
    proxy.add(server_error(Style.AWS_QUERY, 503), operation="CreateAutoScalingGroup")
    request = create_request("five", sequence=1)
    with pytest.raises(ProviderFailure, match="ServiceUnavailable"):
        provider.server_groups.create(request)
    assert proxy.answered("CreateAutoScalingGroup") == 1
    listed = proxy.forwarded("DescribeAutoScalingGroups")  # create's look for a previous version
    proxy.clear_rules()
    proxy.add(server_error(Style.AWS_QUERY, 500), operation="DescribeAutoScalingGroups", times=1)
    assert provider.server_groups.list("five", REGION) == []
    assert proxy.answered("DescribeAutoScalingGroups") == 1
    assert proxy.forwarded("DescribeAutoScalingGroups") == listed + 1


def test_two_accounts_on_one_aws_account_share_one_budget(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    limiter = Limiter(fast_limits(cache={"ttl": 0}))  # no read cache: count both reads
    one = make_aws_provider(limiter=limiter, account="aws-a")
    two = make_aws_provider(limiter=limiter, account="aws-b")
    one.server_groups.list("x", REGION)
    two.server_groups.list("y", REGION)
    reads = {n: s.admitted for n, s in limiter.stats().items() if "/autoscaling/" in n}
    assert list(reads.values()) == [2], f"one bucket for both accounts: {reads}"
    assert "123456789012" in next(iter(reads))


def test_factory_serves_other_aws_services_gated(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    """What cloudrig-ecs / cloudrig-lambda build on: any service's client from the factory is
    gated and maps errors; ``safe=True`` lets a token-carrying write be retried."""
    from cloudrig import NotFound
    from cloudrig_aws import ClientFactory, attach, classify

    proxy = fault_proxy(moto_aws.url)
    limiter = Limiter(fast_limits())
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=limiter)
    factory: ClientFactory = provider.clients
    ecs = factory.client("ecs", REGION)
    proxy.add(server_error(Style.AWS_JSON, 503), operation="CreateCluster", times=1)
    ecs.call("create_cluster", clusterName="c1", safe=True)  # retried once
    assert proxy.answered("CreateCluster") == 1
    assert proxy.forwarded("CreateCluster") == 1
    with pytest.raises(NotFound):
        ecs.call("describe_services", cluster="nope", services=["s"])
    raw = moto_aws.client("sqs", endpoint_url=proxy.url)
    attach(raw, limiter.gate(cloud="aws", identity="123456789012", classify=classify), REGION)
    raw.list_queues()
    assert proxy.forwarded() + proxy.answered() == admitted(limiter)
    assert "aws/123456789012/sqs/us-east-1/read" in limiter.stats()


def test_a_slot_too_far_away_is_throttled_before_sending(
    make_aws_provider: Callable[..., Any], fault_proxy: Callable[..., Any], moto_aws: Any
) -> None:
    """The limiter refuses (its own RateLimited, raised in botocore's before-send hook): the
    caller gets cloudrig's Throttled with the wait, and nothing reaches the server."""
    from cloudrig import Throttled

    proxy = fault_proxy(moto_aws.url)
    limits = fast_limits(read={"rate": 0.05, "burst": 1}, max_wait=0.5, cache={"ttl": 0})
    provider = make_aws_provider(endpoint_url=proxy.url, limiter=Limiter(limits))
    provider.server_groups.list("x", REGION)
    with pytest.raises(Throttled) as raised:
        provider.server_groups.list("x", REGION)
    assert raised.value.retry_after is not None
    assert raised.value.retry_after > 10
    assert proxy.forwarded("DescribeAutoScalingGroups") == 1
