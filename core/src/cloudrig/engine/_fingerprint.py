"""Fingerprints: of a request (spec + strategy: is this the same deployment?) and of a plan (step
names, strategy parameters, provider capabilities: would a resume run what the deployment started
with?).

A deployment that crashed and is resumed after an upgrade of its strategy or of the provider may
face another plan: steps added, removed or renamed, parameters with new defaults, capabilities that
change how a step acts. Its record's step index then means something else, so the resume is refused
with both plans named, unless the caller allows migration (``rig.resume(id, migrate=True)``): the
run then continues at the first step of the new plan that the old one had not completed.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from cloudrig._model._resources import ServerGroupSpec
from cloudrig.engine._errors import PlanChanged
from cloudrig.engine._records import EventKind
from cloudrig.engine._run import Run
from cloudrig.engine._state import PlanPrint

if TYPE_CHECKING:
    from cloudrig.strategies import Strategy


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def request_fingerprint(spec: ServerGroupSpec, strategy: Strategy) -> str:
    return _digest(
        {
            "spec": spec.model_dump(mode="json"),
            "strategy": strategy.name,
            "params": strategy.params(),
        }
    )


def plan_print(run: Run, strategy: Strategy) -> PlanPrint:
    steps = tuple(step.name for step in strategy.steps(run))
    params = strategy.params()
    provider = run.account.descriptor.name
    capabilities = run.capabilities.as_json()
    return PlanPrint(
        fingerprint=_digest(
            {
                "strategy": strategy.name,
                "steps": steps,
                "params": params,
                "provider": provider,
                "capabilities": capabilities,
            }
        ),
        strategy=strategy.name,
        steps=steps,
        params=params,
        provider=provider,
    )


def check_plan(run: Run, strategy: Strategy, *, migrate: bool) -> None:
    """On resume: the plan must be the one the deployment started with (``PlanChanged`` naming
    both otherwise), unless ``migrate``. A record from before plans were fingerprinted adopts the
    current one."""
    now = plan_print(run, strategy)
    then = run.state.plan
    if then is None or then.fingerprint == now.fingerprint:
        run.state.plan = now
        return
    why = (
        f"{then.describe()} when it started, {now.describe()} now"
        if then.describe() != now.describe()
        else f"{then.describe()}, with other parameters or provider capabilities now"
    )
    if not migrate:
        raise PlanChanged(
            f"deployment {run.id} was planned as {why}: the strategy or the provider changed "
            "between the interruption and this resume; resume with migrate=True "
            "(rig.resume(id, migrate=True)) to continue with the new plan, or roll it back"
        )
    record = run.record
    done = set(then.steps[: record.step])
    position = next((i for i, name in enumerate(now.steps) if name not in done), len(now.steps))
    run.emit(
        EventKind.NOTE,
        f"plan migrated: {why}; continuing at "
        f"{now.steps[position] if position < len(now.steps) else 'the end'}",
    )
    record.step = position
    run.state.plan = now
