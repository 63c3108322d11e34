"""The attachment applied to the example provider template: every request the example cloud
receives was admitted by the limiter exactly once (retries included), throttling slows the bucket,
and no retry happens below cloudrig's policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from example_cloud import ExampleCloud, Token

from cloudrig import NotFound, ProviderFailure
from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limit, Limiter, LimitsConfig, RetryOptions
from cloudrig_example import ExampleAccountSettings
from cloudrig_example._client import build_transport
from cloudrig_example.provider import ExampleProvider

TOKEN = "rw-ratelimit-attachment-test-token"
REGION = "eu-west"


@pytest.fixture(scope="module")
def cloud() -> Iterator[ExampleCloud]:
    with ExampleCloud([Token(TOKEN, "tester")], boot_delay=0.0) as running:
        yield running


@pytest.fixture
def make_provider(
    cloud: ExampleCloud, monkeypatch: pytest.MonkeyPatch, clock
) -> Callable[..., tuple[ExampleProvider, Limiter]]:
    monkeypatch.setenv("CLOUDRIG_TEST_RL_TOKEN", TOKEN)
    cloud.reset()

    def make(url: str | None = None) -> tuple[ExampleProvider, Limiter]:
        settings = ExampleAccountSettings.model_validate(
            {
                "regions": [REGION],
                "endpoint": url or cloud.url,
                "token": "env:CLOUDRIG_TEST_RL_TOKEN",
            }
        )
        limiter = Limiter(
            LimitsConfig(
                read=Limit(rate=5), mutate=Limit(rate=1), retries=RetryOptions(attempts=4)
            ),
            clock=clock,  # waits and backoffs in virtual time
        )
        context = ProviderContext(account="rl-test", settings=settings, limiter=limiter)
        return ExampleProvider(context), limiter

    return make


def admitted(limiter: Limiter) -> int:
    return sum(s.admitted for s in limiter.stats().values())


def test_requests_seen_by_the_cloud_equal_requests_admitted(make_provider, cloud) -> None:
    provider, limiter = make_provider()
    cloud.inject(503, times=2, method="GET")  # two transient failures: retried (reads are safe)
    cloud.inject(429, times=1, method="GET", retry_after=2)
    assert provider.server_groups.list("checkout") == []
    with pytest.raises(NotFound):
        provider.server_groups.get(REGION, "checkout-prod-v001")
    assert len(cloud.requests) == admitted(limiter) == 5
    statuses = [status for _, _, status in cloud.requests]
    assert statuses == [503, 503, 429, 200, 404]
    stats = next(iter(limiter.stats().values()))
    assert stats.throttles == 1  # the 429 slowed the bucket down
    assert stats.factor < 1


def test_mutations_are_not_repeated(make_provider, cloud) -> None:
    provider, limiter = make_provider()
    cloud.inject(503, times=1, method="DELETE")
    with pytest.raises(ProviderFailure):
        provider.server_groups.destroy(REGION, "checkout-prod-v001")
    assert [status for _, _, status in cloud.requests] == [503]
    assert admitted(limiter) == 1


def test_no_retry_below_cloudrigs_policy(make_provider) -> None:
    """A transport that counts what the client hands it: exactly the attempts cloudrig made."""
    provider, limiter = make_provider()
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(503, json={"error": {"code": "Unavailable", "message": "busy"}})

    provider.client._http._transport = httpx.MockTransport(answer)  # the transport below the gate
    with pytest.raises(ProviderFailure):
        provider.server_groups.list("checkout")
    assert seen == ["GET"] * 4  # RetryOptions(attempts=4), nothing more
    assert admitted(limiter) == 4
    # and the real transport is built without httpx's own connect retries
    assert build_transport()._pool._retries == 0  # type: ignore[attr-defined]
