"""The fault-and-count proxy (a pytest plugin: ``support.proxy`` in ``pytest_plugins``).

Put it between a real client library and any test server to inject each cloud's real throttling
and error answers, latency and connection resets, and to count what reached the server::

    def test_retries_throttling(fault_proxy, moto_server):
        proxy = fault_proxy(moto_server.url)
        proxy.add(throttle(Style.AWS_QUERY), operation="DescribeAutoScalingGroups", times=1)
        client = boto3.client("autoscaling", endpoint_url=proxy.url, ...)
        ...
        assert proxy.answered("DescribeAutoScalingGroups") == 1
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.proxy.faults import (
    Action,
    Cut,
    Delay,
    Reset,
    Respond,
    Style,
    aws_json_throttle,
    aws_query_throttle,
    ec2_throttle,
    gcp_rate_limit,
    kubernetes_throttle,
    server_error,
    throttle,
)
from support.proxy.rules import Request, Rule
from support.proxy.server import FaultProxy

__all__ = [
    "Action",
    "Cut",
    "Delay",
    "FaultProxy",
    "Request",
    "Reset",
    "Respond",
    "Rule",
    "Style",
    "aws_json_throttle",
    "aws_query_throttle",
    "ec2_throttle",
    "fault_proxy",
    "gcp_rate_limit",
    "kubernetes_throttle",
    "server_error",
    "throttle",
]


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """A factory ``fault_proxy(upstream_url, tls=False) -> FaultProxy``, started; all stopped at
    the end of the test."""
    started: list[FaultProxy] = []

    def start(upstream_url: str, tls: bool = False) -> FaultProxy:
        proxy = FaultProxy(upstream_url, tls=tls).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
