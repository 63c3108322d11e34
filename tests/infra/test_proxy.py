"""The fault-and-count proxy, exercised with the real client libraries (boto3 against moto, and
the Kubernetes and Google clients for their clouds' throttling answers)."""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from support.aws.server import MotoServer
from support.proxy import (
    Delay,
    FaultProxy,
    Reset,
    Style,
    aws_json_throttle,
    gcp_rate_limit,
    kubernetes_throttle,
    server_error,
    throttle,
)

pytestmark = pytest.mark.moto

ProxyFactory = Callable[..., FaultProxy]


@pytest.fixture
def proxy(fault_proxy: ProxyFactory, moto_aws: MotoServer) -> FaultProxy:
    return fault_proxy(moto_aws.url)


def _error(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_aws_query_throttling_parses_as_throttling(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    asg = moto_aws.client("autoscaling", endpoint_url=proxy.url)
    proxy.add(throttle(Style.AWS_QUERY), operation="DescribeAutoScalingGroups", times=1)

    assert _error(asg.describe_auto_scaling_groups) == ("Throttling", 400)
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    assert proxy.answered("DescribeAutoScalingGroups") == 1
    assert proxy.forwarded("DescribeAutoScalingGroups") == 1
    assert moto_aws.request_count("DescribeAutoScalingGroups") == 1  # moto saw only one


def test_ec2_request_limit_exceeded(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ec2 = moto_aws.client("ec2", endpoint_url=proxy.url)
    proxy.add(throttle(Style.EC2), operation="DescribeVpcs")
    assert _error(ec2.describe_vpcs) == ("RequestLimitExceeded", 503)


def test_aws_json_throttling_exception(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    proxy.add(throttle(Style.AWS_JSON), operation="ListClusters")
    assert _error(ecs.list_clusters) == ("ThrottlingException", 400)


def test_rest_json_throttling_selected_by_method_and_path(
    proxy: FaultProxy, moto_aws: MotoServer
) -> None:
    lam = moto_aws.client("lambda", endpoint_url=proxy.url)
    proxy.add(
        aws_json_throttle("TooManyRequestsException", 429), method="GET", path=r"/functions/?$"
    )
    with pytest.raises(ClientError) as caught:
        lam.list_functions()
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert caught.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert proxy.counts()["answered"] == {"GET /2015-03-31/functions": 1}


@pytest.mark.parametrize(
    ("style", "service", "call", "status", "code"),
    [
        (Style.AWS_QUERY, "autoscaling", "describe_auto_scaling_groups", 500, "InternalFailure"),
        (Style.AWS_QUERY, "elbv2", "describe_load_balancers", 503, "ServiceUnavailable"),
        (Style.EC2, "ec2", "describe_subnets", 500, "InternalError"),
        (Style.EC2, "ec2", "describe_subnets", 503, "Unavailable"),
        (Style.AWS_JSON, "ecs", "list_clusters", 500, "InternalFailure"),
        (Style.AWS_JSON, "ecs", "list_clusters", 503, "ServiceUnavailableException"),
    ],
)
def test_server_errors(
    proxy: FaultProxy,
    moto_aws: MotoServer,
    style: Style,
    service: str,
    call: str,
    status: int,
    code: str,
) -> None:
    client = moto_aws.client(service, endpoint_url=proxy.url)
    proxy.add(server_error(style, status))
    assert _error(getattr(client, call)) == (code, status)
    assert moto_aws.request_count() == 0


def test_nth_call_and_max_count(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    rule = proxy.add(throttle(Style.AWS_JSON), operation="ListClusters", nth=2, times=2)
    outcomes = []
    for _ in range(5):
        try:
            ecs.list_clusters()
            outcomes.append("ok")
        except ClientError:
            outcomes.append("throttled")
    assert outcomes == ["ok", "throttled", "throttled", "ok", "ok"]
    assert (rule.matched, rule.fired) == (5, 2)
    ecs.describe_clusters()  # another operation: not selected, not counted by the rule
    assert rule.matched == 5


def test_probability_is_reproducible_with_a_seed(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    proxy.add(throttle(Style.AWS_JSON), operation="ListClusters", probability=0.5, seed=7)
    draws = random.Random(7)
    expected = ["throttled" if draws.random() < 0.5 else "ok" for _ in range(12)]
    outcomes = []
    for _ in range(12):
        try:
            ecs.list_clusters()
            outcomes.append("ok")
        except ClientError:
            outcomes.append("throttled")
    assert outcomes == expected
    assert "ok" in outcomes
    assert "throttled" in outcomes
    assert proxy.answered() == outcomes.count("throttled")


def test_added_latency_delays_the_answer(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    asg = moto_aws.client("autoscaling", endpoint_url=proxy.url)
    asg.describe_auto_scaling_groups()  # backend warm
    proxy.add(Delay(0.4), operation="DescribeAutoScalingGroups", times=1)
    started = time.monotonic()
    asg.describe_auto_scaling_groups()
    assert time.monotonic() - started >= 0.4
    assert proxy.forwarded() == 2


def test_latency_past_the_read_timeout_raises_read_timeout(
    proxy: FaultProxy, moto_aws: MotoServer
) -> None:
    slow = Config(retries={"total_max_attempts": 1}, read_timeout=0.3)
    moto_aws.client("autoscaling").describe_auto_scaling_groups()  # backend warm, no proxy
    asg = moto_aws.client("autoscaling", endpoint_url=proxy.url, config=slow)
    proxy.add(Delay(1.0), operation="DescribeAutoScalingGroups", times=1)
    with pytest.raises(ReadTimeoutError):
        asg.describe_auto_scaling_groups()
    # The delay comes after the upstream answered: the request did reach moto.
    assert proxy.forwarded("DescribeAutoScalingGroups") == 1
    assert moto_aws.request_count("DescribeAutoScalingGroups") == 2


def test_latency_before_upstream_holds_the_request(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    asg = moto_aws.client("autoscaling", endpoint_url=proxy.url)
    asg.describe_auto_scaling_groups()  # backend warm
    proxy.add(Delay(0.4, before_upstream=True), operation="CreateLaunchConfiguration", times=1)
    seen_by_moto: list[int] = []
    timer = threading.Timer(
        0.2, lambda: seen_by_moto.append(moto_aws.request_count("CreateLaunchConfiguration"))
    )
    timer.start()
    asg.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    timer.join()
    assert seen_by_moto == [0]  # still held by the proxy at 0.2 s
    assert moto_aws.request_count("CreateLaunchConfiguration") == 1


def test_upstream_down_answers_502(fault_proxy: ProxyFactory, moto_aws: MotoServer) -> None:
    dead = fault_proxy(moto_aws.url)
    dead.stop()
    proxy = fault_proxy(dead.url)
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    assert _error(ecs.list_clusters) == ("502", 502)


def test_stopped_proxy_drops_keep_alive_connections(
    fault_proxy: ProxyFactory, moto_aws: MotoServer
) -> None:
    proxy = fault_proxy(moto_aws.url)
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    ecs.list_clusters()  # a pooled keep-alive connection now exists
    proxy.stop()
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        ecs.list_clusters()


def test_reset_connection_raises_connection_closed(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    proxy.add(Reset(), operation="ListClusters", times=1)
    with pytest.raises(ConnectionClosedError):
        ecs.list_clusters()
    assert ecs.list_clusters()["clusterArns"] == []  # a new connection works
    assert proxy.answered("ListClusters") == 1
    assert moto_aws.request_count("ListClusters") == 1


def test_tls_mode_with_the_test_ca(fault_proxy: ProxyFactory, moto_aws: MotoServer) -> None:
    proxy = fault_proxy(moto_aws.url, tls=True)
    assert proxy.url.startswith("https://")
    assert proxy.ca_bundle is not None
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url, verify=str(proxy.ca_bundle))
    assert ecs.list_clusters()["clusterArns"] == []
    proxy.add(throttle(Style.AWS_JSON), operation="ListClusters", times=1)
    assert _error(ecs.list_clusters) == ("ThrottlingException", 400)

    untrusting = moto_aws.client("ecs", endpoint_url=proxy.url)  # certifi's CAs only
    with pytest.raises(SSLError):
        untrusting.list_clusters()


def test_forwarded_count_equals_moto_recorder(proxy: FaultProxy, moto_aws: MotoServer) -> None:
    ec2 = moto_aws.client("ec2", endpoint_url=proxy.url)
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    proxy.add(throttle(Style.EC2), operation="DescribeSubnets", nth=2)
    ec2.create_vpc(CidrBlock="10.0.0.0/16")
    ec2.describe_vpcs()
    for _ in range(3):
        with contextlib.suppress(ClientError):
            ec2.describe_subnets()
    ecs.create_cluster(clusterName="a")
    ecs.list_clusters()

    assert proxy.forwarded() == moto_aws.request_count() == 5
    assert proxy.counts()["forwarded"] == {
        "CreateVpc": 1,
        "DescribeVpcs": 1,
        "DescribeSubnets": 1,
        "CreateCluster": 1,
        "ListClusters": 1,
    }
    assert proxy.counts()["answered"] == {"DescribeSubnets": 2}
    proxy.clear_counts()
    assert (proxy.forwarded(), proxy.answered()) == (0, 0)


def test_kubernetes_client_sees_429_with_retry_after(proxy: FaultProxy) -> None:
    kubernetes = pytest.importorskip("kubernetes")
    configuration = kubernetes.client.Configuration()
    configuration.host = proxy.url
    proxy.add(kubernetes_throttle(retry_after=1), path=r"^/api/v1/namespaces$")
    api = kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(configuration))
    started = time.monotonic()
    with pytest.raises(kubernetes.client.ApiException) as caught:
        api.list_namespace()
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "1"
    status = json.loads(caught.value.body)
    assert (status["kind"], status["reason"]) == ("Status", "TooManyRequests")
    assert status["details"]["retryAfterSeconds"] == 1
    # Worth knowing: the client's urllib3 pool retries a 429 that carries Retry-After three
    # times, sleeping as told, before raising: four requests for one call.
    assert proxy.answered("GET /api/v1/namespaces") == 4
    assert time.monotonic() - started >= 3


def test_google_client_sees_rate_limit_exceeded(proxy: FaultProxy) -> None:
    compute = pytest.importorskip("google.cloud.compute_v1")
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials

    client = compute.InstancesClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": proxy.url},
    )
    proxy.add(gcp_rate_limit(), method="GET", path=r"/zones/z/instances/vm$")
    with pytest.raises(exceptions.TooManyRequests) as caught:
        client.get(project="p", zone="z", instance="vm")
    assert caught.value.code == 429
    assert caught.value.errors[0]["reason"] == "rateLimitExceeded"


class _Watch(BaseHTTPRequestHandler):
    """An upstream that streams like a Kubernetes watch: a chunk, a wait, another chunk."""

    protocol_version = "HTTP/1.1"
    release = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in (b'{"type":"ADDED"}\n', b'{"type":"DELETED"}\n'):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
            self.release.wait(10)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_chunked_answers_stream_through(fault_proxy: ProxyFactory) -> None:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Watch)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        proxy = fault_proxy(f"http://127.0.0.1:{upstream.server_address[1]}")
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        connection.request("GET", "/api/v1/pods?watch=true")
        response = connection.getresponse()
        # The first event arrives while the upstream still holds the stream open.
        assert response.read1() == b'{"type":"ADDED"}\n'
        _Watch.release.set()
        assert response.read() == b'{"type":"DELETED"}\n'
        assert proxy.forwarded("GET /api/v1/pods") == 1
    finally:
        _Watch.release.set()
        upstream.shutdown()
        upstream.server_close()


def test_https_upstream_with_a_self_signed_certificate(
    fault_proxy: ProxyFactory, moto_aws: MotoServer
) -> None:
    tls_upstream = fault_proxy(moto_aws.url, tls=True)  # its CA is trusted by nobody
    proxy = fault_proxy(tls_upstream.url)
    ecs = moto_aws.client("ecs", endpoint_url=proxy.url)
    assert ecs.list_clusters()["clusterArns"] == []
    assert proxy.forwarded("ListClusters") == tls_upstream.forwarded("ListClusters") == 1
