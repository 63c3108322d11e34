"""Every row of the template's error mapping table, against real answers of the example cloud."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from example_cloud import ExampleCloud, Token

from cloudrig import (
    Capacity,
    Conflict,
    IngressRule,
    InvalidSpec,
    Moniker,
    NotFound,
    PermissionDenied,
    ProviderFailure,
    SecurityGroupSpec,
    ServerGroupSpec,
    Throttled,
)
from cloudrig.provider import CreateServerGroup, NoSettings, ServerGroupMetadata
from cloudrig_example import ExampleServerGroupSettings
from cloudrig_example._client import ExampleClient
from cloudrig_example.errors import parse_retry_after
from cloudrig_example.provider import ExampleProvider

MakeProvider = Callable[..., ExampleProvider]
REGION = "eu-west"


def _sg(name: str, *sources: str) -> SecurityGroupSpec:
    rule = IngressRule(from_port=443, to_port=443, source_groups=sources) if sources else None
    return SecurityGroupSpec(
        name=name, account="example-test", region=REGION, ingress=(rule,) if rule else ()
    )


def _create_request(name: str, **spec: object) -> CreateServerGroup:
    moniker = Moniker(app="errs", sequence=1)
    return CreateServerGroup(
        name=name,
        spec=ServerGroupSpec(
            moniker=moniker,
            account="example-test",
            region=REGION,
            artifact="image-1",
            capacity=Capacity.fixed(1),
            **spec,
        ),
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id="d-1"),
        settings=ExampleServerGroupSettings(),
    )


def test_400_is_invalid_spec_with_the_clouds_message(provider: ExampleProvider) -> None:
    with pytest.raises(InvalidSpec, match=r"unknown source security group 'ghost'.*HTTP 400"):
        provider.security_groups.upsert(_sg("web", "ghost"), NoSettings())


def test_401_for_a_wrong_token_is_permission_denied(
    example_cloud: ExampleCloud, make_provider: MakeProvider
) -> None:
    provider = make_provider(example_cloud, token="not-the-token")
    with pytest.raises(PermissionDenied, match="HTTP 401") as info:
        provider.check()
    assert info.value.provider == "example"
    assert info.value.account == "example-test"


def test_401_without_a_token(example_cloud: ExampleCloud) -> None:
    answer = httpx.get(f"{example_cloud.url}/v1/whoami")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_403_read_only_token_may_read_but_not_write(
    example_cloud: ExampleCloud, make_provider: MakeProvider, tokens: Any
) -> None:
    provider = make_provider(example_cloud, token=tokens.read_only)
    result = provider.check()
    assert result.identity.startswith("viewer@")
    assert "read-only" in result.detail
    with pytest.raises(PermissionDenied, match=r"read-only.*HTTP 403"):
        provider.security_groups.upsert(_sg("web"), NoSettings())


def test_404_is_not_found_naming_the_resource(provider: ExampleProvider) -> None:
    with pytest.raises(NotFound, match="'nope-v001' does not exist") as info:
        provider.server_groups.get(REGION, "nope-v001")
    assert info.value.resource == "nope-v001"


def test_409_security_group_in_use_is_conflict(provider: ExampleProvider) -> None:
    provider.security_groups.upsert(_sg("db"), NoSettings())
    provider.security_groups.upsert(_sg("app", "db"), NoSettings())
    with pytest.raises(Conflict, match="in use by the rules of security group 'app'"):
        provider.security_groups.delete(REGION, "db")


def test_409_on_create_of_a_foreign_group_is_conflict(provider: ExampleProvider) -> None:
    provider.server_groups.create(_create_request("errs-v001"))
    other = _create_request("errs-v001").model_copy(
        update={
            "metadata": ServerGroupMetadata(
                moniker=Moniker(app="errs", sequence=1), deployment_id="d-2"
            )
        }
    )
    with pytest.raises(Conflict, match="not adopted"):
        provider.server_groups.create(other)


def test_429_injected_carries_retry_after(
    example_cloud: ExampleCloud, provider: ExampleProvider
) -> None:
    example_cloud.inject(429, retry_after=7)
    with pytest.raises(Throttled, match="HTTP 429") as info:
        provider.load_balancers.list()
    assert info.value.retry_after == 7.0


def test_429_from_the_clouds_rate_limit(make_provider: MakeProvider, tokens: Any) -> None:
    with ExampleCloud([Token(tokens.read_write, "tester")], rate_limit=0.1, burst=2) as cloud:
        provider = make_provider(cloud)
        provider.check()
        provider.check()
        with pytest.raises(Throttled, match="requests per second") as info:
            provider.check()
    assert info.value.retry_after is not None
    assert info.value.retry_after >= 1
    assert [status for _, _, status in cloud.requests] == [200, 200, 429]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_provider_failure(
    example_cloud: ExampleCloud, provider: ExampleProvider, status: int
) -> None:
    example_cloud.inject(status, path="/server-groups/")
    with pytest.raises(ProviderFailure, match=f"HTTP {status}"):
        provider.server_groups.get(REGION, "any-v001")


def test_405_is_provider_failure_not_the_callers_fault(provider: ExampleProvider) -> None:
    with pytest.raises(ProviderFailure, match="HTTP 405"):
        provider.client.request("POST", "/whoami")


def test_timeout_is_provider_failure(make_provider: MakeProvider, tokens: Any) -> None:
    # A cloud of its own: the slow request finishes after the test, and must not be recorded in
    # the shared cloud's log of the next test.
    with ExampleCloud([Token(tokens.read_write, "tester")]) as cloud:
        provider = make_provider(cloud, timeout_seconds=0.2)
        cloud.inject(None, delay=1.0)
        with pytest.raises(ProviderFailure, match=r"no answer.*Timeout") as info:
            provider.check()
    assert isinstance(info.value.__cause__, httpx.TimeoutException)


def test_connection_refused_is_provider_failure(make_provider: MakeProvider) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = make_provider(f"http://127.0.0.1:{port}")
    with pytest.raises(ProviderFailure, match=r"no answer.*ConnectError"):
        provider.security_groups.list()


def test_an_unreadable_success_body_is_provider_failure(provider: ExampleProvider) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    client = _client_with(provider, httpx.MockTransport(handler))
    with pytest.raises(ProviderFailure, match="not JSON"):
        client.get("/whoami")


def test_retry_after_as_seconds_or_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_bad_token_never_appears_in_errors_or_logs(
    example_cloud: ExampleCloud,
    make_provider: MakeProvider,
    caplog: pytest.LogCaptureFixture,
    tokens: Any,
) -> None:
    bad = "bad-token-" + tokens.read_write[::-1]
    caplog.set_level(logging.DEBUG)  # httpx, httpcore, the provider and the cloud, all of them
    provider = make_provider(example_cloud, token=bad)
    with pytest.raises(PermissionDenied) as info:
        provider.server_groups.list("shop")
    texts = [str(info.value), repr(info.value), caplog.text, repr(provider.client._http.headers)]
    assert caplog.records, "the test must see the request logs it checks"
    assert not [t for t in texts if bad in t]


def test_a_token_echoed_by_a_server_is_blanked(provider: ExampleProvider) -> None:
    secret = provider.settings.token.get_secret_value()

    def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["Authorization"]
        return httpx.Response(401, json={"error": {"message": f"token {echoed} is expired"}})

    client = _client_with(provider, httpx.MockTransport(handler))
    with pytest.raises(PermissionDenied) as info:
        client.get("/whoami")
    assert secret not in str(info.value)
    assert "token Bearer *** is expired" in str(info.value)


def _client_with(provider: ExampleProvider, transport: httpx.BaseTransport) -> ExampleClient:
    return ExampleClient(
        provider.settings,
        account="example-test",
        logger=logging.getLogger("test"),
        transport=transport,
    )
