"""The deployment workflow: walks the strategy's plan one step (one activity) at a time.

Its history is the deployment's state: the record each activity hands back. Delays and the
approval timeout are durable timers; approval, rejection and abort are signals; progress and the
events are queries. The workflow id is the deployment's idempotency key (``_client``), so a
retried start joins the deployment instead of running a second one.

Versioning: a running deployment's history is replayed by whatever worker picks it up next, so a
change to what this workflow *does* (the commands it issues) must not change what an old history
replays. Each such change is guarded by ``workflow.patched(ID)``: a new execution takes the new
path and records the patch; an execution started before the change replays the old one (tests
replay a history recorded without the patches, tests/temporal/test_versioning.py). The patches so
far:

- ``RECORD_MEMO``: the record is also kept in the workflow's memo after every step, so
  ``cloudrig deployments`` lists deployments from Temporal's visibility without asking a worker;
- ``ABORT_IN_STEP``: an abort cancels the running step, which stops at its next checkpoint and
  undoes the deployment there (before it, an abort waited for the step to end).

Remove a patch (``workflow.deprecate_patch``, then nothing) only once no execution that started
before it can still be running.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from cloudrig_temporal._messages import DeployRequest, EngineOptions, Progress, StepRequest

PREPARE, ADVANCE, RESTORE = "cloudrig-prepare", "cloudrig-advance", "cloudrig-restore"
FINISHED = frozenset({"succeeded", "failed", "rolled_back", "aborted"})
WORKFLOW_TYPE = "CloudrigDeployment"
RECORD_MEMO = "cloudrig-record-memo"
ABORT_IN_STEP = "cloudrig-abort-in-step"


@workflow.defn(name=WORKFLOW_TYPE)
class DeploymentWorkflow:
    def __init__(self) -> None:
        self._record: dict[str, Any] = {}
        self._events: list[dict[str, Any]] = []
        self._decisions: dict[str, bool] = {}
        self._abort = False
        self._rollback = False
        self._gate = ""
        self._started: dict[str, Any] = {}

    @workflow.run
    async def run(self, request: DeployRequest) -> dict[str, Any]:
        options = request.options
        self._started = {
            "spec": request.spec,
            "strategy": request.strategy,
            "params": request.params,
        }
        self._absorb(await self._call(PREPARE, request, options))
        abort_sent, restores = False, 0
        while True:
            status = self._record["status"]
            if status in FINISHED:
                return self.progress()
            if self._stopping() and not abort_sent:
                abort_sent = True
                reason = "abort" if self._abort else "rollback"
                self._absorb(await self._call(RESTORE, self._request(reason), options))
                continue
            if status == "rolling_back":  # a restore that could not finish: try again later
                restores += 1
                if restores >= options.restore_attempts:
                    return self.progress()
                await workflow.sleep(timedelta(seconds=options.restore_retry))
                self._absorb(await self._call(RESTORE, self._request("continue"), options))
                continue
            try:
                answer = await self._advance(options)
            except ActivityError as exc:
                if self._abort and isinstance(exc.cause, CancelledError):
                    continue  # cancelled between its attempts: the restore above undoes it
                # throttled or transient past every retry: roll back
                why = str(exc.cause or exc)
                self._absorb(await self._call(RESTORE, self._request("failed", why), options))
                continue
            self._absorb(answer)
            if answer.outcome == "sleep":
                until = datetime.fromisoformat(answer.sleep_until)
                left = max((until - workflow.now()).total_seconds(), 0.0)
                if left > 0:
                    await self._wait(self._stopping, left)
            elif answer.outcome == "gate":
                await self._answer_gate(answer, options)

    async def _answer_gate(self, answer: Progress, options: EngineOptions) -> None:
        gate = self._gate = answer.gate
        answered = await self._wait(
            lambda: gate in self._decisions or self._stopping(), answer.approval_timeout
        )
        self._gate = ""
        if self._stopping():
            return
        if not answered:
            self._absorb(await self._call(RESTORE, self._request("expired", gate), options))
        elif not self._decisions[gate]:
            self._absorb(await self._call(RESTORE, self._request("rejected", gate), options))
        else:  # the next advance finds the decision and runs the gated step
            self._record["approvals"] = {**self._record.get("approvals", {}), gate: True}

    # -- signals and queries ---------------------------------------------------------------------
    @workflow.signal
    def promote(self, approve: bool = True) -> None:
        """Answer the gate the deployment waits at (``approve=False`` rejects: roll back)."""
        if self._gate:
            self._decisions[self._gate] = approve

    @workflow.signal
    def abort(self) -> None:
        """Abandon the deployment: undo what it did, then end it ``aborted``."""
        self._abort = True

    @workflow.signal
    def rollback(self) -> None:
        """Roll the deployment back (``rig.rollback`` of its cluster): undo what it did, then
        end it ``rolled_back``. Its running step ends first."""
        self._rollback = True

    @workflow.query
    def progress(self) -> dict[str, Any]:
        record = self._record
        status, step = record.get("status", "running"), record.get("step", 0)
        steps = ((record.get("state") or {}).get("plan") or {}).get("steps") or []
        name = record.get("step_name", "")
        if status == "running" and step < len(steps):
            name = steps[step]  # the step being run (the record says the last one started)
        return {
            "id": record.get("id"),
            "status": status,
            "step": step,
            "step_name": name,
            "error": record.get("error"),
            "gate": self._gate,
        }

    @workflow.query
    def events(self) -> list[dict[str, Any]]:
        return list(self._events)

    @workflow.query
    def started_with(self) -> dict[str, Any]:
        """The spec, strategy and parameters it was started with (a start with the same key
        and another request is a conflict)."""
        return dict(self._started)

    @workflow.query
    def record(self) -> dict[str, Any]:
        return dict(self._record)

    # -- internals -------------------------------------------------------------------------------
    def _request(self, reason: str = "", detail: str = "") -> StepRequest:
        return StepRequest(self._record, len(self._events), reason, detail)

    def _stopping(self) -> bool:
        return self._abort or self._rollback

    def _absorb(self, answer: Progress) -> None:
        self._record = answer.record
        self._events.extend(answer.events)
        if workflow.patched(RECORD_MEMO):
            workflow.upsert_memo({"record": self._record})

    async def _advance(self, options: EngineOptions) -> Progress:
        """The next step; an abort meanwhile cancels it (delivered with its next heartbeat): it
        stops at its next checkpoint and undoes the deployment there (``_activities``)."""
        if not workflow.patched(ABORT_IN_STEP):
            return await self._call(ADVANCE, self._request(), options)
        step = workflow.start_activity(
            ADVANCE,
            self._request(),
            result_type=Progress,
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            **_activity_options(options),
        )
        await workflow.wait_condition(lambda: step.done() or self._abort)
        if not step.done():
            step.cancel()
        answer: Progress = await step
        return answer

    async def _wait(self, condition: Any, seconds: float | None) -> bool:
        """Wait (a durable timer) until ``condition`` or ``seconds``; whether it held."""
        try:
            await workflow.wait_condition(
                condition, timeout=None if seconds is None else timedelta(seconds=seconds)
            )
        except TimeoutError:
            return bool(condition())
        return True

    @staticmethod
    async def _call(name: str, argument: Any, options: EngineOptions) -> Progress:
        answer: Progress = await workflow.execute_activity(
            name, argument, result_type=Progress, **_activity_options(options)
        )
        return answer


def _activity_options(options: EngineOptions) -> dict[str, Any]:
    return {
        "start_to_close_timeout": timedelta(seconds=options.step_timeout),
        "heartbeat_timeout": timedelta(seconds=options.heartbeat_timeout),
        "retry_policy": RetryPolicy(
            initial_interval=timedelta(seconds=options.retry_initial),
            maximum_interval=timedelta(seconds=options.retry_maximum),
            backoff_coefficient=options.retry_backoff,
            maximum_attempts=options.retry_attempts,
        ),
    }
