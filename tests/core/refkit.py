"""Helpers shared by the core tests (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cloudrig

REGION = "reference-1"
Connect = Callable[..., cloudrig.Rig]
"""The ``connect`` fixture: a rig with one account ``ref`` on the test's reference cloud."""


def spec(
    app: str = "checkout",
    stack: str = "prod",
    detail: str = "",
    *,
    capacity: int = 2,
    load_balancers: tuple[str, ...] = (),
    **settings: Any,
) -> cloudrig.ServerGroupSpec:
    return cloudrig.ServerGroupSpec(
        moniker=cloudrig.Moniker(app=app, stack=stack, detail=detail),
        account="ref",
        region=REGION,
        artifact="image-1",
        capacity=cloudrig.Capacity.fixed(capacity),
        load_balancers=load_balancers,
        settings=settings,
    )
