"""Fixtures of the core tests: a rig on a private reference cloud in virtual time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from core.refkit import REGION, Connect

import cloudrig
from cloudrig.testing import ManualClock, ReferenceCloud


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud_name() -> Iterator[str]:
    name = f"core-tests-{uuid.uuid4().hex[:10]}"
    yield name
    ReferenceCloud.reset(name)


@pytest.fixture
def cloud(cloud_name: str) -> ReferenceCloud:
    return ReferenceCloud.get(cloud_name)


@pytest.fixture
def connect(clock: ManualClock, cloud_name: str) -> Connect:
    """``connect(provider="reference", plugins=[...], principal=None)``: a rig with one account
    ``ref`` on this test's cloud; call it again for a second process's view of the same cloud."""

    def make(
        provider: str = "reference",
        plugins: tuple[Any, ...] = ("cloudrig.testing.reference",),
        principal: str | None = None,
        **settings: Any,
    ) -> cloudrig.Rig:
        account = {"provider": provider, "regions": [REGION], "cloud": cloud_name, **settings}
        return cloudrig.connect(
            {"accounts": {"ref": account}},
            plugins=plugins,
            entry_points=False,
            clock=clock,
            principal=principal,
        )

    return make


@pytest.fixture
def account(connect: Connect) -> cloudrig.Account:
    return connect().account("ref")
