"""The activities: one step of a strategy's plan (or the restore) through the same ``Account`` as
the embedded engine — authorization, error mapping, the limiter — on the worker's ``Rig``.

The record travels with the workflow (its history is the state store); inside an activity every
checkpoint is also a heartbeat carrying the record and the events so far, so an attempt that
starts after a worker died (or a step failed with a throttled or transient answer) continues from
the last state the previous one reported: it completes the operation that one was sending
(``Run.complete_pending``) and re-reads the cloud, exactly like a resumed embedded deployment.

A delay (``Run.sleep``) is not slept here: the step hands its saved instant back, the workflow
waits for it on a durable timer, then runs the same step again, which finds the instant passed.

An abort while a step runs cancels its activity; the cancellation arrives with a heartbeat, and
the next checkpoint (``HeartbeatLease.check``) stops the step there and undoes the deployment in
the same activity, from the state it reached — as the embedded engine stops at a lease check.
Cancellation is never raised into the step's thread at an arbitrary point
(``no_thread_cancel_exception``): a request half sent is exactly what checkpoints exist to
avoid.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cloudrig import ProviderFailure, Rig, ServerGroupSpec, Throttled, parse_name
from cloudrig.engine import (
    ApprovalRejected,
    Deployment,
    DeploymentError,
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
    LeaseHeld,
    LeaseLost,
    Run,
    request_rollback,
    roll_back_after,
)

# The snapshot and the plan's fingerprint are the embedded engine's own, so a deployment started
# here has exactly the record one started by ``rig.deploy`` has (same reserved names, same plan
# print); they are not public API because their signatures name ``Strategy``, which the engine's
# public modules cannot import.
from cloudrig.engine._fingerprint import plan_print, request_fingerprint
from cloudrig.engine._observed import observed_step
from cloudrig.engine._snapshot import new_record
from cloudrig.ratelimit import fresh_reads
from cloudrig.strategies import Strategy
from cloudrig_temporal._lease import AbortRequested, ClusterLease, HeartbeatLease
from cloudrig_temporal._messages import DeployRequest, Progress, StepRequest
from cloudrig_temporal._record_store import RecordStore

PREPARE, ADVANCE, RESTORE = "cloudrig-prepare", "cloudrig-advance", "cloudrig-restore"


class DurableSleep(Exception):
    """Raised by ``ActivityRun.sleep``: the workflow waits until ``until`` on a durable timer."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


class StepFailed(DeploymentError):
    """A step whose throttled or transient failures outlasted Temporal's retries."""


class ActivityRun(Run):
    """A ``Run`` whose checkpoints and keepalives are heartbeats and whose delays are the
    workflow's timers."""

    def checkpoint(self) -> None:
        super().checkpoint()
        self.keepalive()

    def keepalive(self) -> None:
        self.report()
        self.lease.check()

    def report(self) -> None:
        """Heartbeat the state reached: the next attempt, if any, resumes from it."""
        store: RecordStore = self.store  # type: ignore[assignment]
        activity.heartbeat(
            {
                "record": self.record.model_dump(mode="json"),
                "events": [e.model_dump(mode="json") for e in store.events],
            }
        )

    def sleep(self, seconds: float) -> datetime:
        until = self.deadline(seconds)
        if self.remaining(until) > 0:
            raise DurableSleep(until)
        return until


class DeploymentActivities:
    """The activities a worker hosts, on its ``Rig`` (the accounts of its configuration)."""

    def __init__(
        self, rig: Rig, *, heartbeat_timeout: float = 30.0, gate_hold: float = 86400.0
    ) -> None:
        self.rig, self.heartbeat_timeout, self.gate_hold = rig, heartbeat_timeout, gate_hold

    # -- the activities --------------------------------------------------------------------------
    @activity.defn(name=PREPARE, no_thread_cancel_exception=True)
    def prepare(self, request: DeployRequest) -> Progress:
        """Snapshot the cluster, reserve the new groups' names, fix the plan (reads only)."""
        run: ActivityRun | None = None
        try:
            strategy = self.rig.deployer.strategy(request.strategy, request.params)
            record = self._new_record(request, strategy)
            history = [DeploymentRecord.model_validate(r) for r in request.history]
            run = self._run(record, 0, [], history)
            self._take(run)
            strategy.prepare(run)
            record.state.plan = plan_print(run, strategy)
            run.emit(
                EventKind.STARTED,
                f"deployment {record.id}: {strategy.name} of {record.cluster} in "
                f"{record.account}/{record.region} (on Temporal)",
            )
        except (Throttled, ProviderFailure) as exc:
            raise _retryable(exc) from exc
        except LeaseHeld as exc:  # refused, as the embedded engine refuses it
            raise ApplicationError(
                str(exc), exc.key, exc.holder, type="LeaseHeld", non_retryable=True
            ) from exc
        except Exception as exc:
            if run is not None:
                _lease_of(run).cluster.release()
            raise ApplicationError(
                f"{type(exc).__name__}: {exc}", type=type(exc).__name__, non_retryable=True
            ) from exc
        assert run is not None
        return self._progress(run, strategy)

    @activity.defn(name=ADVANCE, no_thread_cancel_exception=True)
    def advance(self, request: StepRequest) -> Progress:
        """Run the step the record reached (its gate first); past the last one, succeed. A step
        that fails permanently is restored here, as the embedded executor does."""
        run, strategy, resumed = self._resume(request)
        record = run.record
        self._take(run)
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
                with fresh_reads(), observed_step(run.hooks, run.id, "resume", None):
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
            lease = _lease_of(run)
            lease.abortable = True
            with (
                fresh_reads() if resumed else contextlib.nullcontext(),
                observed_step(run.hooks, run.id, step.name, record.step),
            ):
                step.run(run)
            lease.abortable = False
            record.step += 1
            run.checkpoint()
        except DurableSleep as sleep:
            return self._progress(run, strategy, outcome="sleep", sleep_until=sleep.until)
        except AbortRequested:
            request_rollback(run, strategy, abort=True)
        except LeaseLost:
            raise
        except (Throttled, ProviderFailure) as exc:
            raise _retryable(exc) from exc
        except Exception as exc:
            roll_back_after(run, strategy, exc)
        return self._progress(run, strategy)

    @activity.defn(name=RESTORE, no_thread_cancel_exception=True)
    def restore(self, request: StepRequest) -> Progress:
        """Undo the deployment: rejected or unanswered at a gate, aborted, or a restore that was
        incomplete ('continue')."""
        run, strategy, _ = self._resume(request)
        self._take(run)
        try:
            if request.reason == "abort":
                request_rollback(run, strategy, abort=True)
            elif request.reason == "rollback":
                request_rollback(run, strategy)
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
    def _new_record(self, request: DeployRequest, strategy: Strategy) -> DeploymentRecord:
        """A deployment's record (spec checked first), or with ``kind='rollback'`` a rollback's
        of the request's cluster; both snapshot the cluster and reserve names (reads only)."""
        options: dict[str, Any] = {
            "clock": self.rig.clock,
            "retry": self.rig.deployer.retry,
            "idempotency_key": request.idempotency_key,
        }
        if request.kind == "rollback":
            account = self.rig.account(request.account)
            moniker = parse_name(request.cluster)
            return new_record(
                account,
                moniker,
                request.region,
                None,
                strategy,
                f"rollback:{request.idempotency_key}",
                kind="rollback",
                **options,
            )
        spec = ServerGroupSpec.model_validate(request.spec)
        account = self.rig.account(spec.account)
        account.validate_spec(spec)
        strategy.check(account.capabilities, spec)
        fingerprint = request_fingerprint(spec, strategy)
        return new_record(
            account, spec.moniker, spec.region, spec, strategy, fingerprint, **options
        )

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
        self,
        record: DeploymentRecord,
        seen: int,
        events: list[DeploymentEvent],
        history: list[DeploymentRecord] | None = None,
    ) -> ActivityRun:
        # Waits renew (heartbeat, and the cluster's lease) in slices of a third of the shorter
        # of the heartbeat timeout and the lease's TTL.
        cluster = ClusterLease(
            self.rig.deployer.store,
            record.lease_key,
            activity.info().workflow_id or record.id,
            ttl=self.rig.config.deployments.lease_ttl,
            clock=self.rig.clock,
            heartbeat_timeout=self.heartbeat_timeout,
        )
        lease = HeartbeatLease(cluster, min(self.heartbeat_timeout, cluster.ttl))
        return ActivityRun(
            record=record,
            account=self.rig.account(record.account),
            store=RecordStore(record, seen, events, history),  # type: ignore[arg-type]
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

    def _take(self, run: ActivityRun) -> None:
        """The cluster's lease, first (``_lease``): waited for, then ``LeaseHeld``, which a step
        raises as retryable (Temporal runs it again later) and ``prepare`` as the refusal."""

        def waiting(holder: str | None, at_most: float) -> None:
            run.emit(
                EventKind.LEASE_WAIT,
                f"cluster {run.record.cluster} is busy: waiting for the lease held by "
                f"{holder or 'another deployment'} (at most {at_most:.0f}s)",
                holder=holder,
                at_most=at_most,
            )

        try:
            _lease_of(run).cluster.acquire(
                self.rig.config.deployments.lease_wait, waiting, run.report
            )
        except LeaseHeld as exc:
            if activity.info().activity_type == PREPARE:
                raise
            raise _retryable(exc) from exc
        # Reported at once: an attempt after this one (its worker killed before the step's first
        # checkpoint) is a resume — it completes what this one may have sent, re-reading first.
        run.report()

    def _progress(
        self,
        run: Run,
        strategy: Strategy,
        *,
        outcome: str = "advanced",
        gate: str = "",
        sleep_until: datetime | None = None,
    ) -> Progress:
        store: RecordStore = run.store  # type: ignore[assignment]
        cluster = _lease_of(run).cluster
        if run.record.status.finished:
            cluster.release()
        elif sleep_until is not None:  # kept over the durable timer
            cluster.renew(longer=max(run.remaining(sleep_until), 0.0))
        elif outcome == "gate":  # kept while it waits for an answer
            cluster.renew(longer=strategy.approval_timeout or self.gate_hold)
        else:
            cluster.renew()
        return Progress(
            record=run.record.model_dump(mode="json"),
            events=[e.model_dump(mode="json") for e in store.events],
            outcome=outcome,
            gate=gate,
            sleep_until=sleep_until.isoformat() if sleep_until else "",
            approval_timeout=strategy.approval_timeout,
        )


def _lease_of(run: Run) -> HeartbeatLease:
    assert isinstance(run.lease, HeartbeatLease)
    return run.lease


def _retryable(exc: Exception) -> ApplicationError:
    """Throttled and transient answers (cloudrig's classification): Temporal retries the step,
    from the state its attempt last reported."""
    return ApplicationError(f"{type(exc).__name__}: {exc}", type=type(exc).__name__)
