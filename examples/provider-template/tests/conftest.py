"""Fixtures of the provider template's tests: the example cloud in process, and the provider on it.

The example cloud is a stdlib HTTP server started once per session on a free loopback port (it
needs nothing installed, so it never skips); each test gets it reset — no resources, no faults,
no recorded requests.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from example_cloud import ExampleCloud, Token

from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limit, Limiter, LimitsConfig, RetryOptions
from cloudrig_example import ExampleAccountSettings
from cloudrig_example.provider import ExampleProvider

REGION = "eu-west"
TOKEN_ENV = "CLOUDRIG_TEST_EXAMPLE_TOKEN"
BOOT_DELAY = 0.2


class Tokens:
    """This session's bearer tokens (random, so a leak in a message or log is recognisable)."""

    read_write = f"rw-{secrets.token_urlsafe(24)}"
    read_only = f"ro-{secrets.token_urlsafe(24)}"


def _tokens() -> list[Token]:
    return [Token(Tokens.read_write, "tester"), Token(Tokens.read_only, "viewer", read_only=True)]


@pytest.fixture(scope="session")
def tokens() -> type[Tokens]:
    return Tokens


@pytest.fixture(scope="session")
def example_cloud_server() -> Iterator[ExampleCloud]:
    with ExampleCloud(_tokens(), boot_delay=BOOT_DELAY) as cloud:
        yield cloud


@pytest.fixture
def example_cloud(example_cloud_server: ExampleCloud) -> Iterator[ExampleCloud]:
    """The session's example cloud, empty, without faults or recorded requests."""
    example_cloud_server.reset()
    yield example_cloud_server
    example_cloud_server.reset()


@pytest.fixture
def make_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., ExampleProvider]:
    """``make_provider(cloud, token=..., **settings)``: an ``ExampleProvider`` on ``cloud``, its
    token passed the way users pass it (an ``env:`` reference)."""

    def make(
        cloud: ExampleCloud | str, *, token: str = Tokens.read_write, **extra: object
    ) -> ExampleProvider:
        monkeypatch.setenv(TOKEN_ENV, token)
        url = cloud if isinstance(cloud, str) else cloud.url
        settings = ExampleAccountSettings.model_validate(
            {"regions": [REGION], "endpoint": url, "token": f"env:{TOKEN_ENV}", **extra}
        )
        # Generous budgets and one attempt: these tests see each answer of the cloud as it is;
        # tests/ratelimit/test_example_attachment.py covers limiting and retries on this provider.
        limiter = Limiter(
            LimitsConfig(
                read=Limit(rate=1000, burst=100),
                mutate=Limit(rate=1000, burst=100),
                retries=RetryOptions(attempts=1),
            )
        )
        context = ProviderContext(account="example-test", settings=settings, limiter=limiter)
        return ExampleProvider(context)

    return make


@pytest.fixture
def provider(
    example_cloud: ExampleCloud, make_provider: Callable[..., ExampleProvider]
) -> ExampleProvider:
    return make_provider(example_cloud)
