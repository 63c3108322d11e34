"""The traffic shifts people know from AWS CodeDeploy, defined once, as rolling red/black settings.

``CANARY_10_THEN_ALL``: 10% of the traffic, a bake time, then all of it
(CodeDeployDefault.*Canary10Percent5Minutes). ``LINEAR_10``: 10% more every interval
(CodeDeployDefault.*Linear10PercentEvery1Minute). ``ALL_AT_ONCE``: one step.
"""

from __future__ import annotations

from typing import Any

from cloudrig.strategies._rolling import RollingRedBlack

PRESETS: dict[str, dict[str, Any]] = {
    "canary-10-then-all": {"steps": (10, 100), "step_delay": 300.0},
    "linear-10": {"steps": tuple(range(10, 101, 10)), "step_delay": 60.0},
    "all-at-once": {"steps": (100,)},
}


def preset(name: str, **overrides: Any) -> RollingRedBlack:
    """A ``RollingRedBlack`` with a named preset's steps; ``overrides`` change any parameter, e.g.
    ``preset("linear-10", step_delay="5m", max_remaining=2)``."""
    try:
        settings = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})") from None
    return RollingRedBlack.model_validate({**settings, **overrides})


def canary_10_then_all(bake: str | float = "5m", **overrides: Any) -> RollingRedBlack:
    """10 % of the traffic, ``bake`` time, then all of it (preset ``canary-10-then-all``)."""
    return preset("canary-10-then-all", step_delay=bake, **overrides)


def linear_10(every: str | float = "1m", **overrides: Any) -> RollingRedBlack:
    """10 % more of the traffic ``every`` interval, up to all of it (preset ``linear-10``)."""
    return preset("linear-10", step_delay=every, **overrides)
