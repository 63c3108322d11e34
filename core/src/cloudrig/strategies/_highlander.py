"""Highlander: there can be only one. The new group up and healthy, then every older group of the
cluster taken out of traffic and destroyed (never destroyed while it still receives traffic)."""

from __future__ import annotations

from typing import ClassVar

from cloudrig.engine import Run, Step
from cloudrig.strategies._base import Strategy, switch_traffic


class Highlander(Strategy):
    """The new group up and healthy, then every older group out of traffic and destroyed."""

    name: ClassVar[str] = "highlander"

    def plan(self, run: Run) -> list[Step]:
        def switch(run: Run) -> None:
            switch_traffic(run, run.name("new"))

        def destroy_others(run: Run) -> None:
            new = run.name("new")
            for name, group in run.groups().items():
                if name != new:
                    run.disable(name)  # no-op unless something re-enabled it meanwhile
                    run.destroy(group.name)

        return [
            self.create_step("new"),
            self.verify_step("new"),
            Step("switch-traffic", "all traffic to the new group, none to the others", switch),
            Step("destroy-others", "destroy every older group of the cluster", destroy_others),
        ]
