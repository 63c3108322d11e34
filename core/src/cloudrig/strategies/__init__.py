"""cloudrig.strategies: deployment strategies that behave the same on every cloud (docs/architecture.md §6).

    from cloudrig.strategies import RedBlack
    deployment = rig.deploy(spec, strategy=RedBlack(max_remaining=2, scale_down_after="10m"))

``Highlander``, ``RedBlack``, ``RollingRedBlack`` (with the CodeDeploy-style ``preset``s),
``Canary`` and ``Rollback``; plugins add their own ``Strategy`` subclasses through the
``cloudrig_strategies`` hook. See docs/strategies.md for each one's steps and the invariants.
"""

from __future__ import annotations

from cloudrig.strategies._base import Retention, Strategy, switch_traffic
from cloudrig.strategies._canary import Canary
from cloudrig.strategies._highlander import Highlander
from cloudrig.strategies._presets import PRESETS, canary_10_then_all, linear_10, preset
from cloudrig.strategies._redblack import RedBlack
from cloudrig.strategies._rollback import Rollback
from cloudrig.strategies._rolling import RollingRedBlack

BUILTIN: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (Highlander, RedBlack, RollingRedBlack, Canary, Rollback)
}

__all__ = [
    "BUILTIN",
    "PRESETS",
    "Canary",
    "Highlander",
    "RedBlack",
    "Retention",
    "Rollback",
    "RollingRedBlack",
    "Strategy",
    "canary_10_then_all",
    "linear_10",
    "preset",
    "switch_traffic",
]
