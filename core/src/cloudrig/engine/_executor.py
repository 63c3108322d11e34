"""Runs a deployment's plan from the step its record reached, persisting after every step.

Errors split three ways:

- a lost lease or an unreachable store: stop at once, change nothing more (another worker, or a
  later resume, continues from the record);
- any other error (a failed wait, a permanent cloud error, a failed analysis, a rejection): the
  record is marked rolling back *first*, then the cluster is restored (``_restore``), so a crash
  during the restore resumes the restore;
- a ``BaseException`` that is not an ``Exception`` (a killed process, simulated in tests): nothing
  is caught, exactly as if the process had died.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from cloudrig.engine._errors import (
    ApprovalRejected,
    DeploymentError,
    LeaseLost,
    StateStoreUnavailable,
)
from cloudrig.engine._observed import observed_step
from cloudrig.engine._plan import Step
from cloudrig.engine._records import DeploymentStatus, EventKind
from cloudrig.engine._restore import check_rollback
from cloudrig.engine._run import Run
from cloudrig.ratelimit import fresh_reads


class Plan(Protocol):
    """What the executor runs: a strategy's steps and its restore."""

    def steps(self, run: Run) -> list[Step]:
        """The steps for this run, in order (the same list on every call for one record)."""
        ...

    def restore(self, run: Run) -> None:
        """Put the cluster back as it was before the deployment (``cloudrig.engine.restore``)."""


class Stopped(DeploymentError):
    """A rollback asked for while the deployment was in flight."""


def execute(run: Run, strategy: Plan, *, resumed: bool = False) -> None:
    """Run the plan from the step the record reached. ``resumed``: another run (perhaps a worker
    that died) got here first, so the operation it was sending is completed first, and the step
    it was in re-reads the cloud (fresh reads, never a cache) before deciding anything."""
    record = run.record
    try:
        if resumed:
            with fresh_reads():
                run.begin("resume")
                with observed_step(run.hooks, run.id, "resume", None):
                    run.complete_pending()
        if record.status is DeploymentStatus.ROLLING_BACK:
            with fresh_reads():
                _restore(run, strategy, None)
            return
        if record.status is DeploymentStatus.AWAITING_APPROVAL:
            record.status = DeploymentStatus.RUNNING
        steps = strategy.steps(run)
        first = True
        while record.step < len(steps):
            step = steps[record.step]
            run.begin(step.name)
            if step.gate is not None and step.gate(run):
                decision = record.approvals.get(step.name)
                if decision is None and _gate_expired(run, step.name, strategy):
                    raise ApprovalRejected(f"no answer at {step.name} within the approval timeout")
                if decision is None:
                    record.status = DeploymentStatus.AWAITING_APPROVAL
                    record.step_name = step.name
                    run.emit(
                        EventKind.APPROVAL_NEEDED,
                        f"approval needed before {step.name}: {step.description} "
                        f"(cloudrig promote {run.id})",
                        gate=step.name,
                    )
                    run.checkpoint()
                    return
                if not decision:
                    raise ApprovalRejected(f"rejected at {step.name}")
                run.emit(EventKind.APPROVED, f"approved: {step.name}", gate=step.name)
            record.step_name = step.name
            with (
                fresh_reads() if resumed and first else contextlib.nullcontext(),
                observed_step(run.hooks, run.id, step.name, record.step),
            ):
                step.run(run)
            first = False
            record.step += 1
            run.checkpoint()
        record.status = DeploymentStatus.SUCCEEDED
        record.step_name = "done"
        run.emit(EventKind.DONE, f"deployment {run.id} succeeded")
        run.checkpoint()
    except (LeaseLost, StateStoreUnavailable):
        raise
    except Exception as exc:
        _restore(run, strategy, exc)


def _gate_expired(run: Run, gate: str, strategy: Plan) -> bool:
    """Whether the gate has waited longer than the strategy's ``approval_timeout`` (the time it
    opened is kept in the record, so any later resume can tell)."""
    now = run.clock.now()
    opened = run.state.gates_opened.setdefault(gate, now)
    timeout = getattr(strategy, "approval_timeout", None)
    return timeout is not None and (now - opened).total_seconds() >= timeout


def _restore(run: Run, strategy: Plan, cause: Exception | None) -> None:
    record = run.record
    requested = isinstance(cause, ApprovalRejected | Stopped) or (
        cause is None and record.state.rollback_requested
    )
    run.begin("restore")
    if cause is not None:
        record.state.rollback_requested = requested
        record.status = DeploymentStatus.ROLLING_BACK
        record.error = f"{type(cause).__name__}: {cause}"
        run.emit(EventKind.ROLLING_BACK, f"rolling back after {record.error}")
        run.checkpoint()
    try:
        with observed_step(run.hooks, run.id, "restore", None):
            strategy.restore(run)
    except (LeaseLost, StateStoreUnavailable):
        raise
    except Exception as exc:
        run.forget_timers("restore")  # a retry gets fresh deadlines
        record.error = f"restore incomplete ({type(exc).__name__}: {exc}); resume to retry"
        run.emit(EventKind.FAILED, record.error)
        run.checkpoint()
        return
    if record.state.abort_requested:
        record.status = DeploymentStatus.ABORTED
    else:
        record.status = DeploymentStatus.ROLLED_BACK if requested else DeploymentStatus.FAILED
    run.emit(
        EventKind.FAILED if not requested else EventKind.DONE,
        f"deployment {run.id} {record.status.value}: {record.error}",
    )
    run.checkpoint()


def request_rollback(run: Run, strategy: Plan, *, abort: bool = False) -> None:
    """Roll back an unfinished deployment on request (``rig.rollback`` of one in flight);
    ``abort``: then mark it aborted (``rig.abort``), also when it was already rolling back."""
    if abort:
        run.state.abort_requested = True
    if run.record.status is not DeploymentStatus.ROLLING_BACK:
        check_rollback(run)  # never the last serving group out of traffic
        _restore(run, strategy, Stopped("abort requested" if abort else "rollback requested"))
    else:
        _restore(run, strategy, None)


def roll_back_after(run: Run, strategy: Plan, cause: Exception | None) -> None:
    """What the executor does when a step fails with ``cause``: mark the record rolling back,
    restore the cluster, end it ``failed`` (``rolled_back`` for a rejection or a stop on request,
    ``aborted`` when abort was asked). ``cause=None`` finishes a restore already under way. For
    engines that walk the plan themselves (cloudrig-temporal: docs/architecture.md §6)."""
    _restore(run, strategy, cause)
