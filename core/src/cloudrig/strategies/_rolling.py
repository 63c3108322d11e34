"""Rolling red/black: traffic moves to the new group in steps of percentages, the new group's
health checked at each step, the source pinned against its autoscaler meanwhile.

Where the provider splits traffic (exact or approximate weights) the new group grows to each step's
share of the capacity, is verified, and then receives that share of the traffic by weight. Where it
cannot (traffic follows capacity, or all-or-nothing), capacity moves instead: the new group grows,
is verified, and only then the pinned source shrinks by the same share. The source is unpinned
(its original capacity restored) at the end and on every failure.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import ConfigDict, Field, field_validator

from cloudrig._errors import InvalidSpec
from cloudrig._model._resources import Capacity, ServerGroupSpec
from cloudrig.engine import Duration, Run, Step
from cloudrig.provider._capabilities import Capabilities
from cloudrig.strategies._base import Retention, Strategy, note, switch_traffic


def source_shares(run: Run, remaining: int) -> dict[str, int]:
    """``remaining`` percent spread over the serving groups by their original shares."""
    serving = run.serving
    if not serving:
        return {}
    total = sum(run.original[n].share for n in serving) or len(serving)
    raw = {n: (run.original[n].share or 100 / len(serving)) * remaining / total for n in serving}
    shares = {n: int(v) for n, v in raw.items()}
    for n in sorted(raw, key=lambda n: shares[n] - raw[n])[: remaining - sum(shares.values())]:
        shares[n] += 1
    return shares


class RollingRedBlack(Strategy, Retention):
    """Traffic (or capacity) moves to the new group in ``steps`` of percentages, its health
    checked at each, the source pinned against its autoscaler meanwhile."""

    name: ClassVar[str] = "rolling-red-black"

    steps_percent: tuple[int, ...] = Field(
        default=(25, 50, 100),
        alias="steps",
        description="Traffic (or capacity) percentages of the new group, increasing, ending at 100",
    )
    step_delay: Duration = Field(default=0.0, description="Bake time after each step but the last")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("steps_percent")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or value[-1] != 100:
            raise ValueError("steps must end at 100")
        if any(p <= 0 or p > 100 for p in value) or list(value) != sorted(set(value)):
            raise ValueError("steps must be strictly increasing percentages between 1 and 100")
        return value

    def params(self) -> dict[str, object]:
        """The parameters as saved in the record (``steps`` under its public name)."""
        return self.model_dump(mode="json", by_alias=True)

    def check(self, capabilities: Capabilities, spec: ServerGroupSpec | None) -> None:
        if capabilities.traffic_split == "exact" and (capabilities.max_weighted_groups or 0) < 2:
            raise InvalidSpec("rolling red/black needs two weighted groups")

    def plan(self, run: Run) -> list[Step]:
        caps = run.capabilities
        by_weight = caps.splits_traffic
        if not by_weight and not caps.resizable:
            note_step = Step(
                "fallback",
                "provider can neither split traffic nor resize: switching at once",
                lambda r: note(r, "rolling red/black runs as red/black on this provider"),
            )
            return [
                note_step,
                self.create_step("new"),
                self.verify_step("new"),
                Step(
                    "switch-traffic",
                    "all traffic to the new group",
                    lambda r: switch_traffic(r, r.name("new")),
                ),
                *self.cleanup_steps("new", run),
            ]
        steps = (
            [Step("pin", "pin the source against its autoscaler", self._pin)]
            if caps.resizable
            else []
        )
        steps.append(self._create())
        for index, percent in enumerate(self.steps_percent):
            last = index == len(self.steps_percent) - 1
            steps.append(self._shift(percent, by_weight, last))
        steps.append(Step("unpin", "restore the source's original capacity", self._unpin))
        return steps + self.cleanup_steps("new", run)

    # -- steps -----------------------------------------------------------------------------------
    def _pin(self, run: Run) -> None:
        groups = run.groups()
        for name in run.serving:
            desired = groups[name].capacity.desired if name in groups else 0
            run.original[name].pinned_by_us = True
            run.resize(name, Capacity.fixed(desired), "pin")

    def _unpin(self, run: Run) -> None:
        for name in run.serving:
            if run.find(name) is not None:
                run.resize(name, run.original[name].capacity, "unpin")

    def _create(self) -> Step:
        def create(run: Run) -> None:
            spec = run.spec
            if run.capabilities.resizable:
                empty = Capacity(min=0, desired=0, max=spec.capacity.max)
                spec = spec.model_copy(update={"capacity": empty})
            run.create("new", spec)

        return Step("create-new", "create the new group (empty where it can be resized)", create)

    def _shift(self, percent: int, by_weight: bool, last: bool) -> Step:
        delay = 0.0 if last else self.step_delay

        def shift(run: Run) -> None:
            spec, new = run.spec, run.name("new")
            desired = spec.capacity.desired
            count = desired if last else math.ceil(desired * percent / 100)
            if run.capabilities.resizable:
                capacity = (
                    spec.capacity
                    if last
                    else Capacity(
                        min=min(spec.capacity.min, count), desired=count, max=spec.capacity.max
                    )
                )
                run.resize(new, capacity)
            run.wait_healthy(new, self.target(count), self.health_timeout)
            if last:
                run.state.verified = new
            if by_weight:
                if last:
                    switch_traffic(run, new)
                elif run.serving:  # a first deployment has no traffic to move: it just grows
                    run.set_weights({**source_shares(run, 100 - percent), new: percent})
            else:
                self._shrink_sources(run, percent, last)
            if delay:
                run.sleep(delay)
                run.wait_healthy(new, self.target(count), self.health_timeout)

        how = "traffic" if by_weight else "capacity"
        return Step(f"shift-{percent}", f"{percent}% of the {how} to the new group", shift)

    def _shrink_sources(self, run: Run, percent: int, last: bool) -> None:
        groups = run.groups()
        for name in run.serving:
            if name not in groups:
                continue
            original = run.original[name].capacity.desired
            remaining = 0 if last else original - math.floor(original * percent / 100)
            run.resize(name, Capacity.fixed(remaining), "pin")
        if last:
            switch_traffic(run, run.name("new"))
