"""The activities: one step of a strategy's plan (or the restore) through the same ``Account`` as
the embedded engine — authorization, error mapping, the limiter — on the worker's ``Rig``.

The record travels with the workflow (its history is the state store); inside an activity every
checkpoint is also a heartbeat carrying the record and the events so far, so an attempt that
starts after a worker died (or a step failed with a throttled or transient answer) continues from
the last state the previous one reported: it completes the operation that one was sending
(``Run.complete_pending``) and re-reads the cloud, exactly like a resumed embedded deployment.

A delay (``Run.sleep``) is not slept here: the step hands its saved instant back, the workflow
waits for it on a durable timer, then runs the same step again, which finds the instant passed.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cloudrig import ProviderFailure, Rig, ServerGroupSpec, Throttled
from cloudrig.engine import (
    ApprovalRejected,
    Deployment,
    DeploymentError,
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
    LeaseLost,
    NullLease,
    Run,
    request_rollback,
    roll_back_after,
)

# The snapshot and the plan's fingerprint are the embedded engine's own, so a deployment started
# here has exactly the record one started by ``rig.deploy`` has (same reserved names, same plan
# print); they are not public API because their signatures name ``Strategy``, which the engine's
# public modules cannot import.
from cloudrig.engine._fingerprint import plan_print, request_fingerprint
from cloudrig.engine._snapshot import new_record
from cloudrig.ratelimit import fresh_reads
from cloudrig.strategies import Strategy
from cloudrig_temporal._messages import DeployRequest, Progress, StepRequest

PREPARE, ADVANCE, RESTORE = "cloudrig-prepare", "cloudrig-advance", "cloudrig-restore"


class DurableSleep(Exception):
    """Raised by ``ActivityRun.sleep``: the workflow waits until ``until`` on a durable timer."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class StepFailed(DeploymentError):
    """A step whose throttled or transient failures outlasted Temporal's retries."""


class RecordStore:
    """The activity's store: the record lives in the workflow; events are numbered after the
    ``seen`` ones the workflow already has, and kept for the answer (and every heartbeat)."""

    def __init__(self, record: DeploymentRecord, seen: int, events: list[DeploymentEvent]) -> None:
        self.record, self.seen, self.events = record, seen, events

    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        self.record = record

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        self.record = record

    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        stored = event.model_copy(update={"seq": self.seen + len(self.events) + 1})
        self.events.append(stored)
        return stored


class HeartbeatLease(NullLease):
    """What fences a step on Temporal: the activity's heartbeat. A worker that stopped
    heartbeating for ``heartbeat_timeout`` has its step run again elsewhere; when it wakes up, its
    next check finds its attempt cancelled and it mutates nothing more."""

    held = True

    def __init__(self, key: str, ttl: float) -> None:
        self.key = self.holder = key
        self.ttl = ttl

    def check(self) -> None:
        if activity.is_cancelled():
            raise LeaseLost(self.key, f"{self.holder} (its activity was cancelled or timed out)")


class ActivityRun(Run):
    """A ``Run`` whose checkpoints and keepalives are heartbeats and whose delays are the
    workflow's timers."""

    def checkpoint(self) -> None:
        super().checkpoint()
        self.keepalive()

    def keepalive(self) -> None:
        store: RecordStore = self.store  # type: ignore[assignment]
        activity.heartbeat(
            {
                "record": self.record.model_dump(mode="json"),
                "events": [e.model_dump(mode="json") for e in store.events],
            }
        )
        self.lease.check()

    def sleep(self, seconds: float) -> datetime:
        until = self.deadline(seconds)
        if self.remaining(until) > 0:
            raise DurableSleep(until)
        return until


class DeploymentActivities:
    """The activities a worker hosts, on its ``Rig`` (the accounts of its configuration)."""

    def __init__(self, rig: Rig, *, heartbeat_timeout: float = 30.0) -> None:
        self.rig, self.heartbeat_timeout = rig, heartbeat_timeout

    # -- the activities --------------------------------------------------------------------------
    @activity.defn(name=PREPARE)
    def prepare(self, request: DeployRequest) -> Progress:
        """Snapshot the cluster, reserve the new groups' names, fix the plan (reads only)."""
        try:
            spec = ServerGroupSpec.model_validate(request.spec)
            strategy = self.rig.deployer.strategy(request.strategy, request.params)
            account = self.rig.account(spec.account)
            account.validate_spec(spec)
            strategy.check(account.capabilities, spec)
            record = new_record(
                account,
                spec.moniker,
                spec.region,
                spec,
                strategy,
                request_fingerprint(spec, strategy),
                clock=self.rig.clock,
                retry=self.rig.deployer.retry,
                idempotency_key=request.idempotency_key,
            )
            run = self._run(record, 0, [])
            strategy.prepare(run)
            record.state.plan = plan_print(run, strategy)
            run.emit(
                EventKind.STARTED,
                f"deployment {record.id}: {strategy.name} of {record.cluster} in "
                f"{record.account}/{record.region} (on Temporal)",
            )
        except (Throttled, ProviderFailure) as exc:
            raise _retryable(exc) from exc
        except Exception as exc:
            raise ApplicationError(
                f"{type(exc).__name__}: {exc}", type=type(exc).__name__, non_retryable=True
            ) from exc
        return self._progress(run, strategy)

    @activity.defn(name=ADVANCE)
    def advance(self, request: StepRequest) -> Progress:
        """Run the step the record reached (its gate first); past the last one, succeed. A step
        that fails permanently is restored here, as the embedded executor does."""
        run, strategy, resumed = self._resume(request)
        record = run.record
        if record.status.finished:  # the previous attempt got to the end before it died
            return self._progress(run, strategy)
        try:
            if record.status is DeploymentStatus.ROLLING_BACK:  # it died restoring: finish that
                roll_back_after(run, strategy, None)
                return self._progress(run, strategy)
            if resumed:
                run.emit(
                    EventKind.RESUMED,
                    f"resuming deployment {record.id} at step {record.step} "
                    f"({record.step_name or 'start'}), attempt {activity.info().attempt}",
                )
                with fresh_reads():
                    run.begin("resume")
                    run.complete_pending()
            steps = strategy.steps(run)
            if record.step >= len(steps):
                record.status, record.step_name = DeploymentStatus.SUCCEEDED, "done"
                run.emit(EventKind.DONE, f"deployment {run.id} succeeded")
                run.checkpoint()
                return self._progress(run, strategy)
            step = steps[record.step]
            run.begin(step.name)
            if step.gate is not None and step.gate(run):
                decision = record.approvals.get(step.name)
                if decision is None:
                    return self._open_gate(run, strategy, step.name, step.description)
                if not decision:
                    raise ApprovalRejected(f"rejected at {step.name}")
                record.status = DeploymentStatus.RUNNING
                run.emit(EventKind.APPROVED, f"approved: {step.name}", gate=step.name)
            record.step_name = step.name
            with fresh_reads() if resumed else contextlib.nullcontext():
                step.run(run)
            record.step += 1
            run.checkpoint()
        except DurableSleep as sleep:
            return self._progress(run, strategy, outcome="sleep", sleep_until=sleep.until)
        except LeaseLost:
            raise
        except (Throttled, ProviderFailure) as exc:
            raise _retryable(exc) from exc
        except Exception as exc:
            roll_back_after(run, strategy, exc)
        return self._progress(run, strategy)

    @activity.defn(name=RESTORE)
    def restore(self, request: StepRequest) -> Progress:
        """Undo the deployment: rejected or unanswered at a gate, aborted, or a restore that was
        incomplete ('continue')."""
        run, strategy, _ = self._resume(request)
        try:
            if request.reason == "abort":
                request_rollback(run, strategy, abort=True)
            elif request.reason == "continue":
                roll_back_after(run, strategy, None)
            elif request.reason == "failed":
                roll_back_after(run, strategy, StepFailed(request.detail))
            elif request.reason == "rejected":
                roll_back_after(run, strategy, ApprovalRejected(f"rejected at {request.detail}"))
            else:
                roll_back_after(
                    run,
                    strategy,
                    ApprovalRejected(f"no answer at {request.detail} within the approval timeout"),
                )
        except (Throttled, ProviderFailure) as exc:
            raise _retryable(exc) from exc
        except Exception as exc:
            raise ApplicationError(
                f"{type(exc).__name__}: {exc}", type=type(exc).__name__, non_retryable=True
            ) from exc
        return self._progress(run, strategy)

    # -- internals -------------------------------------------------------------------------------
    def _resume(self, request: StepRequest) -> tuple[ActivityRun, Strategy, bool]:
        """The run of ``request``'s record, or of the state the previous attempt last reported."""
        data, events = request.record, []
        details = activity.info().heartbeat_details
        if details:
            reported: dict[str, Any] = details[0]
            data = reported["record"]
            events = [DeploymentEvent.model_validate(e) for e in reported["events"]]
        record = DeploymentRecord.model_validate(data)
        strategy = self.rig.deployer.strategy(record.strategy, record.params)
        return self._run(record, request.events_seen, events), strategy, bool(details)

    def _run(
        self, record: DeploymentRecord, seen: int, events: list[DeploymentEvent]
    ) -> ActivityRun:
        # Waits renew (heartbeat) in slices of a third of the heartbeat timeout.
        lease = HeartbeatLease(activity.info().workflow_id or record.id, self.heartbeat_timeout)
        return ActivityRun(
            record=record,
            account=self.rig.account(record.account),
            store=RecordStore(record, seen, events),  # type: ignore[arg-type]
            lease=lease,
            clock=self.rig.clock,
            retry=self.rig.deployer.retry,
            handle=Deployment(),
            hooks=self.rig.registry.manager.hook,
        )

    def _open_gate(self, run: ActivityRun, strategy: Strategy, gate: str, what: str) -> Progress:
        record = run.record
        record.status, record.step_name = DeploymentStatus.AWAITING_APPROVAL, gate
        run.state.gates_opened.setdefault(gate, run.clock.now())
        run.emit(
            EventKind.APPROVAL_NEEDED,
            f"approval needed before {gate}: {what} (signal promote to {record.idempotency_key})",
            gate=gate,
        )
        run.checkpoint()
        return self._progress(run, strategy, outcome="gate", gate=gate)

    @staticmethod
    def _progress(
        run: Run,
        strategy: Strategy,
        *,
        outcome: str = "advanced",
        gate: str = "",
        sleep_until: datetime | None = None,
    ) -> Progress:
        store: RecordStore = run.store  # type: ignore[assignment]
        return Progress(
            record=run.record.model_dump(mode="json"),
            events=[e.model_dump(mode="json") for e in store.events],
            outcome=outcome,
            gate=gate,
            sleep_until=sleep_until.isoformat() if sleep_until else "",
            approval_timeout=strategy.approval_timeout,
        )


def _retryable(exc: Exception) -> ApplicationError:
    """Throttled and transient answers (cloudrig's classification): Temporal retries the step,
    from the state its attempt last reported."""
    return ApplicationError(f"{type(exc).__name__}: {exc}", type=type(exc).__name__)
