"""The deployments on Temporal as the rig sees them (``cloudrig.engine.DeploymentEngine``):
``cloudrig deployments``, ``deployments show``, ``resume``, ``promote``, ``abort`` and
``rollback`` read and act here when the ``cloudrig_temporal.engine`` plugin is loaded.

A deployment is a workflow of the deployment type on the configured task queue. They are listed
with Temporal's visibility API (ListWorkflowExecutions, a query on the workflow type and task
queue); each one's record is in its memo, updated after every step, so listing asks no worker.
A deployment is named by its record's id (what ``cloudrig deployments`` shows) or by its workflow
id (its idempotency key). Events are the workflow's ``events`` query (a worker answers it).

Acting is signalling: promote and abort are the workflow's signals, a rollback of a cluster with
a deployment in flight signals it ``rollback``, otherwise it starts a rollback workflow (the
``rollback`` strategy, with the cluster's earlier records, which it consults as it would the state
store's). The handle returned follows the workflow — its new events, live — until it finished or
waits at a gate, like the embedded engine's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from cloudrig import Moniker, Rig, parse_name
from cloudrig.engine import (
    Deployment,
    DeploymentError,
    DeploymentEvent,
    DeploymentNotFound,
    DeploymentRecord,
    DeploymentStatus,
    EventCallback,
    EventKind,
    LeaseHeld,
    lease_key,
)
from cloudrig.engine._lookup import region_of  # the embedded engine's rule, not public API
from cloudrig.strategies import Rollback
from cloudrig_temporal._client import TemporalDeployments, engine_options
from cloudrig_temporal._messages import DeployRequest
from cloudrig_temporal._settings import TemporalSettings
from cloudrig_temporal._workflow import WORKFLOW_TYPE, DeploymentWorkflow

POLL = 0.5


class TemporalDeploymentEngine:
    """The deployments of ``settings``' task queue, read and acted on for ``rig``."""

    def __init__(self, settings: TemporalSettings, rig: Rig, *, poll: float = POLL) -> None:
        self.temporal = TemporalDeployments(settings, rig)
        self.rig, self.poll = rig, poll

    # -- reading ---------------------------------------------------------------------------------
    def find(self, *, unfinished: bool | None = True) -> list[DeploymentRecord]:
        listed = self.temporal.call(self._list)
        records = [DeploymentRecord.model_validate(r) for _, r, _ in listed]
        if unfinished is not None:
            records = [r for r in records if r.status.finished != unfinished]
        return sorted(records, key=lambda r: r.created_at, reverse=True)

    def get(self, deployment_id: str) -> DeploymentRecord:
        return DeploymentRecord.model_validate(self._locate(deployment_id)[1])

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        return self.temporal.get(self._locate(deployment_id)[0]).events()

    # -- acting ----------------------------------------------------------------------------------
    def resume(
        self, deployment_id: str, *, on_event: EventCallback | None = None, migrate: bool = False
    ) -> Deployment:
        """A deployment on Temporal never needs resuming (its workers continue it): this follows
        it until it finished or waits at a gate."""
        if migrate:
            raise DeploymentError(
                "--migrate does not apply on Temporal: a deployment continues with the plan it "
                "started with on whichever worker runs it"
            )
        workflow_id, _ = self._locate(deployment_id)
        return self._follow(workflow_id, on_event, at_any_gate=True)

    def promote(
        self, deployment_id: str, *, approve: bool = True, on_event: EventCallback | None = None
    ) -> Deployment:
        workflow_id, data = self._locate(deployment_id)
        record = DeploymentRecord.model_validate(data)
        if record.status is not DeploymentStatus.AWAITING_APPROVAL:
            raise DeploymentError(
                f"deployment {record.id} is {record.status.value}, not awaiting approval"
            )
        return self._follow(workflow_id, on_event, lambda: self._signal(workflow_id, approve))

    def abort(self, deployment_id: str, *, on_event: EventCallback | None = None) -> Deployment:
        workflow_id, data = self._locate(deployment_id)
        record = DeploymentRecord.model_validate(data)
        if record.status.finished:
            raise DeploymentError(
                f"deployment {record.id} is already {record.status.value}: nothing to abort"
            )
        return self._follow(workflow_id, on_event, lambda: self.temporal.get(workflow_id).abort())

    def rollback(
        self,
        account: str,
        cluster: str | Moniker,
        region: str | None = None,
        *,
        on_event: EventCallback | None = None,
    ) -> Deployment:
        moniker = parse_name(cluster) if isinstance(cluster, str) else cluster
        region = region or region_of(self.rig.account(account), moniker)
        key = lease_key(account, region, moniker)
        listed = [(w, r, on) for w, r, on in self.temporal.call(self._list) if _lease_key(r) == key]
        in_flight = [
            (w, r)
            for w, r, running in listed
            if running and not DeploymentStatus(r["status"]).finished
        ]
        if in_flight:  # undo the deployment in flight instead (or, a rollback, let it finish)
            flying, data = in_flight[0]
            undo = data.get("kind", "deploy") != "rollback"
            return self._follow(
                flying, on_event, partial(self._signal_rollback, flying) if undo else None
            )
        strategy = Rollback()
        workflow_id = f"rollback-{uuid.uuid4().hex}"
        request = DeployRequest(
            spec=None,
            strategy=strategy.name,
            params=strategy.params(),
            idempotency_key=workflow_id,
            options=engine_options(self.temporal.settings),
            kind="rollback",
            account=account,
            cluster=moniker.cluster,
            region=region,
            history=[r for _, r, _ in listed],
        )

        async def start(client: Client) -> None:
            await client.start_workflow(
                DeploymentWorkflow.run,
                request,
                id=workflow_id,
                task_queue=self.temporal.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )

        return self._follow(workflow_id, on_event, lambda: self.temporal.call(start))

    # -- internals -------------------------------------------------------------------------------
    async def _list(self, client: Client) -> list[tuple[str, dict[str, Any], bool]]:
        """Every deployment workflow of the task queue with a record: (workflow id, record,
        whether the workflow still runs)."""
        query = (
            f"WorkflowType = '{WORKFLOW_TYPE}' AND "
            f"TaskQueue = '{self.temporal.settings.task_queue}'"
        )
        found = []
        async for execution in client.list_workflows(query):
            record = (await execution.memo()).get("record")
            if record:
                running = execution.status is WorkflowExecutionStatus.RUNNING
                found.append((execution.id, record, running))
        return found

    def _locate(self, deployment_id: str) -> tuple[str, dict[str, Any]]:
        """The workflow id and the record of a deployment named by its workflow id (one
        describe) or its record's id (among those listed)."""

        async def by_workflow_id(client: Client) -> dict[str, Any] | None:
            handle = client.get_workflow_handle(deployment_id)
            try:
                described = await handle.describe()
            except RPCError as exc:
                if exc.status is RPCStatusCode.NOT_FOUND:
                    return None
                raise
            if described.workflow_type != WORKFLOW_TYPE:
                return None
            # No memo: it started before the record was kept there, or is still preparing.
            data: Any = (await described.memo()).get("record")
            if not data:
                data = await handle.query(DeploymentWorkflow.record)
            return dict(data) if data else None

        record = self.temporal.call(by_workflow_id)
        if record is not None:
            return deployment_id, record
        for workflow_id, data, _ in self.temporal.call(self._list):
            if data.get("id") == deployment_id:
                return workflow_id, data
        settings = self.temporal.settings
        raise DeploymentNotFound(
            f"no deployment {deployment_id!r} on Temporal (namespace {settings.namespace}, "
            f"task queue {settings.task_queue})"
        )

    def _signal(self, workflow_id: str, approve: bool) -> None:
        self.temporal.get(workflow_id).promote(approve)

    def _signal_rollback(self, workflow_id: str) -> None:
        async def signal(client: Client) -> None:
            await client.get_workflow_handle(workflow_id).signal(DeploymentWorkflow.rollback)

        self.temporal.call(signal)

    def _follow(
        self,
        workflow_id: str,
        on_event: EventCallback | None,
        act: Callable[[], None] | None = None,
        *,
        at_any_gate: bool = False,
    ) -> Deployment:
        """``act`` (a signal, a start), then the workflow's new events until it finished or
        waits at a gate it reached after ``act`` (``at_any_gate``: at the one it waits at now)."""
        handle = Deployment(on_event)
        seen = len(self._events_of(workflow_id, missing_ok=True))
        if act is not None:
            try:
                act()
            except RPCError as exc:  # its workflow ended (a restore that gave up), say
                raise DeploymentError(
                    f"deployment {workflow_id} on Temporal: {exc.message}"
                ) from None
        gates_since = 0 if at_any_gate else seen
        follow(self.temporal, workflow_id, handle, self.poll, since=seen, gates_since=gates_since)
        return handle

    def _events_of(self, workflow_id: str, *, missing_ok: bool = False) -> list[DeploymentEvent]:
        try:
            return self.temporal.get(workflow_id).events()
        except RPCError:
            if missing_ok:
                return []
            raise


def follow(
    temporal: TemporalDeployments,
    workflow_id: str,
    handle: Deployment,
    poll: float = POLL,
    *,
    since: int = 0,
    gates_since: int | None = None,
) -> None:
    """Publish the workflow's events after the first ``since`` to ``handle`` until the deployment
    finished, or waits at a gate it reached after the first ``gates_since`` events (``since``
    by default); then ``handle.finish()``. A workflow that ended without a finished record (its
    start failed) raises its failure (``LeaseHeld``, or a ``DeploymentError``). One connection
    for the whole wait."""

    async def watch(client: Client) -> None:
        seen, ended = since, False
        while True:
            record, events, closed = await _state_of(client, workflow_id)
            for event in events[seen:]:
                handle.publish(event)
            fresh = events[since if gates_since is None else gates_since :]
            seen = max(seen, len(events))
            if record:
                handle.record = record
                handle.id = record.id
            if ended:  # the read after it ended: its final state
                await _raise_failure(client, workflow_id)
                return
            if record and (
                record.status.finished
                or (
                    record.status is DeploymentStatus.AWAITING_APPROVAL
                    and any(e.kind is EventKind.APPROVAL_NEEDED for e in fresh)
                )
            ):
                return
            if closed:  # it may have ended after the queries: read once more
                ended = True
                continue
            await asyncio.sleep(poll)

    try:
        temporal.call(watch)
    except BaseException as exc:
        handle.finish(exc)
        raise
    handle.finish()


def _lease_key(data: dict[str, Any]) -> str:
    return DeploymentRecord.model_validate(data).lease_key


async def _state_of(
    client: Client, workflow_id: str
) -> tuple[DeploymentRecord | None, list[DeploymentEvent], bool]:
    """The record, the events and whether the workflow has ended (asked only while the record
    is unfinished)."""
    handle = client.get_workflow_handle(workflow_id)
    data: dict[str, Any] = await handle.query(DeploymentWorkflow.record)
    events: list[dict[str, Any]] = await handle.query(DeploymentWorkflow.events)
    closed = False
    if not data or not DeploymentStatus(data["status"]).finished:
        closed = (await handle.describe()).status is not WorkflowExecutionStatus.RUNNING
    record = DeploymentRecord.model_validate(data) if data else None
    return record, [DeploymentEvent.model_validate(e) for e in events], closed


async def _raise_failure(client: Client, workflow_id: str) -> None:
    try:
        await client.get_workflow_handle(workflow_id).result()
    except WorkflowFailureError as exc:
        cause: BaseException = exc
        while getattr(cause, "cause", None) is not None:
            cause = cause.cause  # type: ignore[attr-defined]
            if isinstance(cause, ApplicationError) and cause.type == "LeaseHeld":
                key, holder = cause.details  # the embedded engine's refusal
                raise LeaseHeld(key, holder) from None
        raise DeploymentError(str(cause)) from None


__all__ = ["POLL", "TemporalDeploymentEngine", "follow"]
