"""cloudrig provider for Amazon ECS, built on ``cloudrig-aws``'s public API.

Importing this package loads the settings only; ``EcsProvider`` (which needs boto3) loads on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudrig_ecs.settings import (
    EcsAccountSettings,
    EcsLoadBalancerSettings,
    EcsSecurityGroupSettings,
    EcsServiceSettings,
)

if TYPE_CHECKING:
    from cloudrig_ecs.provider import EcsProvider

__all__ = [
    "EcsAccountSettings",
    "EcsLoadBalancerSettings",
    "EcsProvider",
    "EcsSecurityGroupSettings",
    "EcsServiceSettings",
]


def __getattr__(name: str) -> Any:
    if name == "EcsProvider":
        return importlib.import_module("cloudrig_ecs.provider").EcsProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
