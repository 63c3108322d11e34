"""cloudrig provider for the example cloud — the template every cloudrig provider is copied from.

Importing this package loads nothing else; ``ExampleProvider`` (and with it the HTTP
client) is imported on first use, so listing providers stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_example.provider import ExampleProvider
    from cloudrig_example.settings import (
        ExampleAccountSettings,
        ExampleLoadBalancerSettings,
        ExampleServerGroupSettings,
    )

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "ExampleAccountSettings",
    "ExampleLoadBalancerSettings",
    "ExampleProvider",
    "ExampleServerGroupSettings",
]
