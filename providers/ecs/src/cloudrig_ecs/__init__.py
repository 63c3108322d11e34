"""cloudrig provider for Amazon ECS, built on ``cloudrig-aws``'s public API.

Importing this package loads nothing else; ``EcsProvider`` (which needs boto3) loads on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_ecs.provider import EcsProvider
    from cloudrig_ecs.settings import (
        EcsAccountSettings,
        EcsLoadBalancerSettings,
        EcsSecurityGroupSettings,
        EcsServiceSettings,
    )

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "EcsAccountSettings",
    "EcsLoadBalancerSettings",
    "EcsProvider",
    "EcsSecurityGroupSettings",
    "EcsServiceSettings",
]
