"""The web view's tests: HTTP-level ones on the reference provider (in memory, fast), and real
browser ones in Debian's headless Chromium on moto.

Fixtures:
- ``reference``: a ``Reference`` — a rig of account ``test`` on a fresh reference cloud, with a
  SQLite store in the test's folder, deployment helpers and ``app(...)`` for a ``TestClient``;
- ``browser`` (session): Chromium driven by Playwright; the tests fail (never skip) when it cannot
  start: CI installs it (.ci/run);
- ``artifacts``: where screenshots go: ``$CLOUDRIG_WEB_ARTIFACTS`` or a folder of the session's
  pytest tmp.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import cloudrig
from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig.engine import DeploymentRecord, SqliteStateStore
from cloudrig.provider import Decision, hookimpl
from cloudrig.strategies import RedBlack
from cloudrig_web import create_app, load_settings
from support.rig import PassingMetrics

CHROMIUM = os.environ.get("CLOUDRIG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TOKEN_ENV = "CLOUDRIG_TEST_WEB_TOKEN"
TOKEN = "s3cret-web-token-" + uuid.uuid4().hex  # fresh per session: never a known value


class Authorizations:
    """A ``cloudrig_authorize`` plugin recording every question; denies the principals in
    ``denied``."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str, str, str]] = []
        self.denied: set[str] = set()

    @hookimpl
    def cloudrig_authorize(
        self, principal: str | None, action: str, account: str, resource: str
    ) -> Decision | None:
        self.asked.append((principal, action, account, resource))
        if principal in self.denied:
            return Decision.deny(f"{principal} is on the deny list")
        return None


@dataclass
class Reference:
    """A rig on the reference cloud and the web app over it."""

    tmp: Path
    authorizations: Authorizations = field(default_factory=Authorizations)

    def __post_init__(self) -> None:
        from cloudrig.testing import ReferenceCloud

        self.cloud = f"web-{uuid.uuid4().hex[:8]}"
        ReferenceCloud.reset(self.cloud)
        self.store = SqliteStateStore(self.tmp / "deployments.sqlite3")
        self.rig = self.connect(None)

    def connect(self, principal: str | None) -> cloudrig.Rig:
        account = {"provider": "reference", "regions": ["reference-1"], "cloud": self.cloud}
        return cloudrig.connect(
            {"accounts": {"test": account}},
            principal=principal,
            plugins=["cloudrig.testing.reference", self.authorizations, PassingMetrics()],
            state_store=self.store,
        )

    def spec(self, artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(app="shop", stack="prod"),
            account="test",
            region="reference-1",
            artifact=artifact,
            capacity=Capacity(min=1, desired=2, max=4),
            settings={"boot_seconds": 0},
        )

    def at_gate(self) -> DeploymentRecord:
        """v1 deployed, v2 waiting for approval before ``disable-old``."""
        self.rig.deploy(self.spec("v1"), RedBlack()).raise_for_status()
        gated = RedBlack(approvals=("disable-old",))
        deployment = self.rig.deploy(self.spec("v2"), gated).raise_for_status()
        assert deployment.id is not None
        self.authorizations.asked.clear()  # the questions of these deployments are not the test's
        return self.rig.deployment(deployment.id)

    def app(self, **settings: Any) -> TestClient:
        values: dict[str, Any] = {"tokens": {"alice": f"env:{TOKEN_ENV}"}, **settings}
        app = create_app(self.rig, load_settings(**values), connect_as=self.connect)
        return TestClient(app, base_url="http://127.0.0.1:8000")


@pytest.fixture
def web_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return TOKEN


@pytest.fixture
def reference(tmp_path: Path, web_token: str) -> Iterator[Reference]:
    ref = Reference(tmp_path)
    yield ref
    ref.rig.close()


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's package, never a downloaded one)."""
    try:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
    except Exception as exc:
        pytest.fail(f"Playwright cannot start ({exc!r}): pip install playwright", pytrace=False)
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        pytest.fail(
            f"Chromium cannot start from {CHROMIUM} ({exc!r}): apt-get install chromium",
            pytrace=False,
        )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; 10 s for anything it waits for."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("CLOUDRIG_WEB_ARTIFACTS")
    path = Path(given) if given else tmp_path_factory.mktemp("web-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
