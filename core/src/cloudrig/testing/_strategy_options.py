"""How the strategy kit runs; importable without pytest (``cloudrig.testing.StrategyOptions``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StrategyOptions:
    """How the strategy kit runs (fixture ``strategy_options``; every field has a default).

    ``rolling_steps``: the traffic (or capacity) percentages of rolling red/black. ``canary``:
    run the canary check where the capabilities allow one (``False`` skips it, e.g. when a
    provider's tests already cover canaries and the server is slow). ``health_timeout``: the
    strategies' deadline for every health wait, in the clock's seconds (default: the target's
    ``timeout`` on a real clock, the strategies' own default in virtual time). ``crash_matrix``:
    also run red/black killed right after its k-th request, for every k (every ``crash_stride``-th),
    then resumed as a restarted worker would (off by default: two deployments per kill point).
    """

    rolling_steps: tuple[int, ...] = (50, 100)
    canary: bool = True
    health_timeout: float | None = None
    crash_matrix: bool = False
    crash_stride: int = 1

    def __post_init__(self) -> None:
        if self.crash_stride < 1:
            raise ValueError("StrategyOptions.crash_stride: must be 1 or more")
