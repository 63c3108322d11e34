"""The deployment workflow: walks the strategy's plan one step (one activity) at a time.

Its history is the deployment's state: the record each activity hands back. Delays and the
approval timeout are durable timers; approval, rejection and abort are signals; progress and the
events are queries. The workflow id is the deployment's idempotency key (``_client``), so a
retried start joins the deployment instead of running a second one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from cloudrig_temporal._messages import DeployRequest, EngineOptions, Progress, StepRequest

PREPARE, ADVANCE, RESTORE = "cloudrig-prepare", "cloudrig-advance", "cloudrig-restore"
FINISHED = frozenset({"succeeded", "failed", "rolled_back", "aborted"})


@workflow.defn(name="CloudrigDeployment")
class DeploymentWorkflow:
    def __init__(self) -> None:
        self._record: dict[str, Any] = {}
        self._events: list[dict[str, Any]] = []
        self._decisions: dict[str, bool] = {}
        self._abort = False
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
            if self._abort and not abort_sent:
                abort_sent = True
                self._absorb(await self._call(RESTORE, self._request("abort"), options))
                continue
            if status == "rolling_back":  # a restore that could not finish: try again later
                restores += 1
                if restores >= options.restore_attempts:
                    return self.progress()
                await workflow.sleep(timedelta(seconds=options.restore_retry))
                self._absorb(await self._call(RESTORE, self._request("continue"), options))
                continue
            try:
                answer = await self._call(ADVANCE, self._request(), options)
            except ActivityError as exc:  # throttled or transient past every retry: roll back
                why = str(exc.cause or exc)
                self._absorb(await self._call(RESTORE, self._request("failed", why), options))
                continue
            self._absorb(answer)
            if answer.outcome == "sleep":
                until = datetime.fromisoformat(answer.sleep_until)
                left = max((until - workflow.now()).total_seconds(), 0.0)
                if left > 0:
                    await self._wait(lambda: self._abort, left)
            elif answer.outcome == "gate":
                await self._answer_gate(answer, options)

    async def _answer_gate(self, answer: Progress, options: EngineOptions) -> None:
        gate = self._gate = answer.gate
        answered = await self._wait(
            lambda: gate in self._decisions or self._abort, answer.approval_timeout
        )
        self._gate = ""
        if self._abort:
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

    def _absorb(self, answer: Progress) -> None:
        self._record = answer.record
        self._events.extend(answer.events)

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
            name,
            argument,
            result_type=Progress,
            start_to_close_timeout=timedelta(seconds=options.step_timeout),
            heartbeat_timeout=timedelta(seconds=options.heartbeat_timeout),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=options.retry_initial),
                maximum_interval=timedelta(seconds=options.retry_maximum),
                backoff_coefficient=options.retry_backoff,
                maximum_attempts=options.retry_attempts,
            ),
        )
        return answer
