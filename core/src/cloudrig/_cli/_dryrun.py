"""``cloudrig deploy --dry-run``: check every reference, then print the changes as a diff.

Reads only, and nothing is written, not even to the state store. First the spec file's load
balancers and security groups are planned (``rig.apply(..., dry_run=True)``): each one it names
must exist or be declared (one error naming every missing one, exit 1: the real run would fail at
create), and each declared one is shown created, updated or unchanged. Then the strategy's steps run against
a what-if copy of the cluster (``_whatif``), so the diff is what that strategy would do: the new
group's name and capacity, each group enabled, disabled, resized or destroyed, and the traffic
before → after. Gates are shown where the deployment would wait; a step that cannot run without
the cloud (a canary analysis needs metrics from the future) is shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from cloudrig._config._apply import ResourceChange
    from cloudrig._model._resources import ServerGroupSpec
    from cloudrig._rig import Rig
    from cloudrig.engine import DeploymentEvent
    from cloudrig.engine._spec import SpecFile
    from cloudrig.strategies import Strategy

_MARKS = {
    "created": ("+", "green"),
    "destroyed": ("-", "red"),
    "disabled": ("-", "magenta"),
    "traffic_moved": ("~", "cyan"),
    "enabled": ("~", "cyan"),
    "scaled": ("~", "yellow"),
    "pinned": ("~", "yellow"),
    "unpinned": ("~", "yellow"),
    "waiting": ("·", "dim"),
    "note": ("·", "dim"),
}
_SHOWN = set(_MARKS)


@dataclass
class PreviewStep:
    name: str
    description: str
    gated: bool
    """It waits for approval (``maybe``: when the analysis before it asks for one)."""
    maybe: bool = False
    judged: bool = False
    """It judged live metrics (a canary analysis): its outcome is not previewed."""
    changes: list[DeploymentEvent] = field(default_factory=list)
    unknown: str | None = None
    """Why the step could not be previewed (it needs the cloud), when it could not."""


@dataclass
class Preview:
    steps: list[PreviewStep]
    traffic_before: dict[str, int]
    traffic_after: dict[str, int]
    new_groups: dict[str, str]


def preview(rig: Rig, spec: ServerGroupSpec, strategy: Strategy) -> Preview:
    """Run the strategy's steps on a what-if copy of the cluster; return what each would do."""
    from cloudrig._cli._whatif import DiscardingStore, SkippingClock, WhatIfAccount, WhatIfLease
    from cloudrig.engine import Deployment, Run
    from cloudrig.engine._snapshot import new_record

    account = rig.account(spec.account)
    account.validate_spec(spec)
    strategy.check(account.capabilities, spec)
    whatif = WhatIfAccount(account, spec.moniker, spec.region)
    clock = SkippingClock(rig.clock.now())
    deployer = rig.deployer
    record = new_record(
        whatif,  # type: ignore[arg-type]  # duck-typed: reads from the copy
        spec.moniker,
        spec.region,
        spec,
        strategy,
        "dry-run",
        clock=clock,
        retry=deployer.retry,
    )
    current: list[PreviewStep] = []

    def collect(event: DeploymentEvent) -> None:
        if current and event.kind.value == "analysis":
            current[-1].judged = True
        elif current and event.kind.value in _SHOWN:
            current[-1].changes.append(event)

    run = Run(
        record=record,
        account=whatif,  # type: ignore[arg-type]
        store=DiscardingStore(deployer.store),  # type: ignore[arg-type]
        lease=WhatIfLease(),  # type: ignore[arg-type]
        clock=clock,
        retry=deployer.retry,
        handle=Deployment(collect),
        hooks=None,  # no hook hears of a deployment that does not happen
    )
    strategy.prepare(run)
    before = whatif.shares()
    steps: list[PreviewStep] = []
    asked = set(getattr(strategy, "approvals", ()))
    for step in strategy.steps(run):
        run.begin(step.name)
        # After an analysis (judged on no data here) a gate the strategy sets itself depends on
        # the real outcome; one the spec asks for (``approvals``) always waits.
        maybe = step.gate is not None and step.name not in asked and any(s.judged for s in steps)
        gated = step.gate is not None and (maybe or bool(step.gate(run)))
        steps.append(PreviewStep(step.name, step.description, gated, maybe))
        current[:] = [steps[-1]]
        try:
            step.run(run)
        except Exception as exc:  # it needs the cloud (metrics, a judge): shown, not guessed
            steps[-1].unknown = f"{type(exc).__name__}: {exc}"
    return Preview(steps, before, whatif.shares(), dict(record.state.names))


def dry_run(rig: Rig, spec_file: SpecFile, console: Console) -> None:
    from rich.text import Text

    spec, strategy = spec_file.server_group, spec_file.strategy
    # Reads only: every reference exists or is declared (else one ConfigError naming each).
    resources = rig.apply(spec_file, dry_run=True)
    result = preview(rig, spec, strategy)
    console.print(
        Text(
            f"dry run: {strategy.name} of {spec.moniker.cluster} ({spec.artifact}) in "
            f"{spec.account}/{spec.region}",
            style="bold",
        )
    )
    if len(resources):
        console.print(Text("load balancers and security groups", style="bold"))
        for change in resources:
            console.print(resource_line(change))
    for i, step in enumerate(result.steps, 1):
        head = Text(f"{i}. {step.name}", style="bold")
        head.append(f": {step.description}", style="")
        if step.gated:
            when = " if the analysis asks for it" if step.maybe else ""
            head.append(f" [waits for approval{when}: cloudrig promote]", style="bold yellow")
        console.print(head)
        for event in step.changes:
            console.print(_change_line(event))
        if step.judged:
            console.print(
                Text("   · judged on live metrics when it runs (not previewed)", style="dim")
            )
        if step.unknown is not None:
            console.print(Text(f"   ? not previewed (needs the cloud): {step.unknown}", "yellow"))
        elif not step.changes and not step.judged:
            console.print(Text("   (nothing to change)", style="dim"))
    console.print(
        Text(f"traffic: {_shares(result.traffic_before)} → {_shares(result.traffic_after)}")
    )
    console.print(Text("dry run: nothing was changed", style="dim"))


def resource_line(change: ResourceChange, *, done: bool = False) -> Text:
    """One load balancer or security group: what applying does (``done``: did) to it."""
    from rich.text import Text

    action = change.action.value
    mark, style = _RESOURCE_MARKS.get(action, ("·", "dim"))
    line = Text("   ")
    line.append(f"{mark} ", style=style)
    line.append(f"{action + 'd' if done and change.changes else action} ")
    line.append(f"{change.kind.value} {change.name}")
    if change.differences:
        line.append(f" ({'; '.join(change.differences)})")
    return line


_RESOURCE_MARKS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "unchanged": ("=", "dim"),
    "exists": ("✓", "dim"),
}


def _change_line(event: DeploymentEvent) -> Text:
    from rich.text import Text

    mark, style = _MARKS.get(event.kind.value, ("·", "dim"))
    line = Text("   ")
    line.append(f"{mark} ", style=style)
    line.append(_imperative(event.message), style="dim" if mark == "·" else "")
    return line


def _imperative(message: str) -> str:
    """An event's message as a change still to make: "created X" → "create X"."""
    for done, todo in _TENSES:
        if message.startswith(done):
            return todo + message[len(done) :]
    for done, todo in (
        (" enabled: in traffic", "enable {}: into traffic"),
        (" disabled: out of traffic", "disable {}: out of traffic"),
    ):
        if message.endswith(done):
            return todo.format(message[: -len(done)])
    return message


_TENSES = (
    ("created ", "create "),
    ("completed ", "complete "),
    ("destroyed ", "destroy "),
    ("waiting for ", "wait for "),
)


def _shares(shares: dict[str, int]) -> str:
    return ", ".join(f"{n} {w}%" for n, w in shares.items() if w) or "none"
