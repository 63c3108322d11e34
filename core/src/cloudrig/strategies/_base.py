"""What every strategy shares: parameters as a validated model, approval gates, the restore, and
the building blocks of the plans (create, verify, switch traffic, clean up).

A strategy is a pydantic model so it can be stored with a deployment (resume rebuilds it from its
name and parameters), written in YAML specs, and shown as JSON Schema. Its plan is a list of
``Step``s built from the record's state only, so a resumed run builds the same plan.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from cloudrig._model._resources import Capacity, ServerGroupSpec
from cloudrig.engine import Duration, EventKind, Run, Step, healthy_target, restore
from cloudrig.provider._capabilities import Capabilities


class Strategy(BaseModel):
    """Base of every strategy, built-in or contributed by a plugin (``cloudrig_strategies``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    roles: ClassVar[tuple[str, ...]] = ("new",)
    """The groups a deployment creates; each gets a name reserved before anything is created."""

    health_timeout: Duration = Field(
        default=1800.0, description="Deadline of every health wait; a breach rolls back"
    )
    healthy_percent: float = Field(
        default=100.0, gt=0, le=100, description="Share of the desired instances that must be Up"
    )
    approvals: tuple[str, ...] = Field(
        default=(), description="Step names before which a human must approve (cloudrig promote)"
    )
    approval_timeout: Duration | None = Field(
        default=None,
        description="Roll back when a gate has had no answer for this long (checked whenever the "
        "deployment is resumed or promoted)",
    )

    # -- the plan --------------------------------------------------------------------------------
    @abstractmethod
    def plan(self, run: Run) -> list[Step]:
        """The steps, in order; no I/O here (a dry run lists them)."""

    def steps(self, run: Run) -> list[Step]:
        """``plan`` with an approval gate before each step named in ``approvals``."""
        gated = set(self.approvals)
        result = []
        for step in self.plan(run):
            if step.name in gated and step.gate is None:
                step = Step(step.name, step.description, step.run, gate=lambda _: True)
            result.append(step)
        return result

    def check(self, capabilities: Capabilities, spec: ServerGroupSpec | None) -> None:
        """Raise ``InvalidSpec`` when this strategy cannot run on a provider with these
        capabilities; called before anything is changed."""

    def prepare(self, run: Run) -> None:
        """Add facts to the record's state before the first step (reads only)."""

    def restore(self, run: Run) -> None:
        """Put the cluster back as it was (``cloudrig.engine.restore``, within
        ``health_timeout`` at ``healthy_percent``); a strategy may add to it."""
        restore(run, timeout=self.health_timeout, healthy_percent=self.healthy_percent)

    def params(self) -> dict[str, Any]:
        """The parameters as saved in the record (JSON), from which a resume rebuilds it."""
        return self.model_dump(mode="json")

    # -- building blocks -------------------------------------------------------------------------
    def target(self, desired: int) -> int:
        """How many of ``desired`` instances must be Up (``healthy_percent``, at least one)."""
        return healthy_target(desired, self.healthy_percent)

    def create_step(self, role: str, spec: ServerGroupSpec | None = None) -> Step:
        """The step ``create-<role>``: create (or adopt) the group reserved for ``role`` from
        ``spec`` (default: the deployment's)."""

        def run_(run: Run) -> None:
            run.create(role, spec or run.spec)

        return Step(f"create-{role}", f"create the {role} server group", run_)

    def verify_step(self, role: str) -> Step:
        """The step ``verify-<role>``: wait until the ``role`` group's target of healthy
        instances is Up (a breach of ``health_timeout`` rolls back)."""

        def run_(run: Run) -> None:
            name = run.name(role)
            desired = run.capacity(name).desired
            run.wait_healthy(name, self.target(desired), self.health_timeout)
            run.state.verified = name

        return Step(f"verify-{role}", f"wait until the {role} group is healthy", run_)


def switch_traffic(run: Run, new: str) -> None:
    """All traffic to ``new`` and none to the other groups of the cluster: one atomic weight switch
    where the provider splits traffic, else enable the new group and disable the others."""
    if run.capabilities.splits_traffic:
        run.set_weights({new: 100})
        for name, group in run.groups(instances=False).items():
            if name != new and group.enabled:  # a provider whose weights leave others enabled
                run.disable(name)
        return
    run.enable(new)
    for name, group in run.groups(instances=False).items():
        if name != new and group.enabled:
            run.disable(name)


class Retention(BaseModel):
    """Red/black's handling of the previous groups after a successful switch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_remaining: int | None = Field(
        default=None,
        ge=2,
        description="Keep at most this many groups (the new one included), destroying the oldest "
        "disabled ones; at least 2, so the rollback target is never destroyed",
    )
    scale_down_after: Duration | None = Field(
        default=None, description="Scale the disabled previous groups to zero after this delay"
    )

    def cleanup_steps(self, role: str, run: Run | None = None) -> list[Step]:
        """Scale-down (only when groups served before this deployment: a first deployment has
        nothing to scale down and never waits for the delay) and prune."""
        steps = []
        if self.scale_down_after is not None and (run is None or run.serving):
            delay = self.scale_down_after

            def previous_groups(run: Run) -> list[str]:
                groups = run.groups(instances=False)
                return [
                    name
                    for name in run.serving
                    if (group := groups.get(name)) is not None
                    and not group.enabled
                    and group.capacity.desired > 0
                ]

            def scale_down(run: Run) -> None:
                if not previous_groups(run):
                    note(run, "scale-down: no previous group to scale down, no delay")
                    return
                run.sleep(delay)  # an instant in the record: a resume waits only what is left
                groups = run.groups(instances=False)
                for name in previous_groups(run):
                    capacity = Capacity(min=0, desired=0, max=groups[name].capacity.max)
                    run.resize(name, capacity, "scale down")

            steps.append(
                Step(
                    "scale-down",
                    f"scale the previous groups to zero after {delay:.0f}s",
                    scale_down,
                )
            )
        if self.max_remaining is not None:
            keep = self.max_remaining

            def prune(run: Run) -> None:
                new = run.name(role)
                protected = {new, run.state.previous}
                groups = list(run.groups(instances=False).values())  # oldest first
                excess = len(groups) - keep
                for group in groups:
                    if excess <= 0:
                        break
                    if group.name in protected or group.enabled:
                        continue
                    run.destroy(group.name)
                    excess -= 1

            steps.append(Step("prune", f"keep at most {keep} server groups", prune))
        return steps


def note(run: Run, message: str) -> None:
    run.emit(EventKind.NOTE, message)
