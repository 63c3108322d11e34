"""The invariant checker fails for strategies that break the invariants (so the matrix can fail)."""

from __future__ import annotations

import pytest
from strategies.invariants import Checker
from strategies.world import World

from cloudrig import Capacity
from cloudrig.engine import Run, Step
from cloudrig.strategies import RedBlack, Strategy


class DisablesFirst(Strategy):
    """Takes the old group out before the new one is healthy (breaks 1 and 3)."""

    name = "disables-first"

    def plan(self, run: Run) -> list[Step]:
        def disable_old(r: Run) -> None:
            for name in r.serving:
                r.disable(name)

        return [self.create_step("new"), Step("disable", "", disable_old), self.verify_step("new")]


class WeightsEarly(Strategy):
    """Sends most of the traffic to the new group while it boots (breaks 2)."""

    name = "weights-early"

    def plan(self, run: Run) -> list[Step]:
        def shift(r: Run) -> None:
            r.set_weights({r.serving[0]: 30, r.name("new"): 70})

        return [self.create_step("new"), Step("shift", "", shift), self.verify_step("new")]


class DestroysServing(Strategy):
    """Destroys the old group while it serves (breaks 3)."""

    name = "destroys-serving"

    def plan(self, run: Run) -> list[Step]:
        return [
            self.create_step("new"),
            self.verify_step("new"),
            Step("destroy", "", lambda r: r.destroy(r.serving[0])),
        ]


class ForgetsToUnpin(Strategy):
    """Pins the source and never restores it (breaks 10)."""

    name = "forgets-to-unpin"

    def plan(self, run: Run) -> list[Step]:
        return [
            Step("pin", "", lambda r: r.resize(r.serving[0], Capacity.fixed(3))),
            self.create_step("new"),
            self.verify_step("new"),
            Step("switch", "", lambda r: r.set_weights({r.name("new"): 100})),
        ]


@pytest.mark.parametrize(
    ("strategy", "invariant"),
    [
        (DisablesFirst(), "invariant 1"),
        (WeightsEarly(), "invariant 2"),
        (DestroysServing(), "invariant 3"),
    ],
)
def test_violations_after_a_call_are_caught(
    world: World, strategy: Strategy, invariant: str
) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    checker = Checker(world, service_size=3)
    world.main.deploy(world.spec("img-1"), strategy)
    assert any(invariant in v for v in checker.violations), checker.violations


def test_an_unrestored_pin_is_caught_at_the_end(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    checker = Checker(world, service_size=3)
    deployment = world.main.deploy(world.spec("img-1"), ForgetsToUnpin())
    with pytest.raises(AssertionError, match="invariant 10"):
        checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
