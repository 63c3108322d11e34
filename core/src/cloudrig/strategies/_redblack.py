"""Red/black (blue/green): the new group up and healthy, in traffic, the older groups out of it
(after an optional delay), optionally scaled down later, at most ``max_remaining`` groups kept."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cloudrig.engine import Duration, Run, Step
from cloudrig.strategies._base import Retention, Strategy, switch_traffic


class RedBlack(Strategy, Retention):
    """Red/black (blue/green): the new group up, healthy and in traffic, then the older groups
    out of it; they are kept (``max_remaining``), optionally scaled down after a delay."""

    name: ClassVar[str] = "red-black"

    delay_before_disable: Duration = Field(
        default=0.0,
        description="How long the old and new groups serve together before the old ones leave",
    )

    def plan(self, run: Run) -> list[Step]:
        delay = self.delay_before_disable

        def enable(run: Run) -> None:
            if delay > 0 or not run.capabilities.splits_traffic:
                run.enable(run.name("new"))

        def disable_old(run: Run) -> None:
            if delay > 0:
                run.sleep(delay)
            switch_traffic(run, run.name("new"))

        return [
            self.create_step("new"),
            self.verify_step("new"),
            Step("enable-new", "put the new group into traffic", enable),
            Step(
                "disable-old",
                "take the older groups out of traffic"
                + (f" after {delay:.0f}s" if delay else " (one atomic switch where possible)"),
                disable_old,
            ),
            *self.cleanup_steps("new", run),
        ]
