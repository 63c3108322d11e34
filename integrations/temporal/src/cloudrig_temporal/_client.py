"""Deploying through Temporal: ``TemporalDeployments.deploy`` is ``rig.deploy`` run by workers.

The workflow id is the deployment's idempotency key: a start with a key already used joins that
deployment (running or finished) instead of starting a second one. Each call opens its own
connection (the methods are synchronous, like the rest of cloudrig's API).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from cloudrig import Rig, ServerGroupSpec
from cloudrig.engine import (
    DeploymentConflict,
    DeploymentError,
    DeploymentEvent,
    DeploymentStatus,
)
from cloudrig.strategies import RedBlack, Strategy
from cloudrig_temporal._messages import DeployRequest, EngineOptions
from cloudrig_temporal._settings import TemporalSettings
from cloudrig_temporal._workflow import DeploymentWorkflow

T = TypeVar("T")


def engine_options(settings: TemporalSettings) -> EngineOptions:
    retry = settings.retry
    return EngineOptions(
        heartbeat_timeout=settings.heartbeat_timeout,
        step_timeout=settings.step_timeout,
        retry_initial=retry.initial,
        retry_maximum=retry.maximum,
        retry_backoff=retry.backoff,
        retry_attempts=retry.attempts,
        restore_retry=settings.restore_retry,
        restore_attempts=settings.restore_attempts,
    )


class TemporalDeployments:
    """Deployments of ``rig``'s accounts sent to the workers of ``settings.task_queue``."""

    def __init__(self, settings: TemporalSettings, rig: Rig | None = None) -> None:
        self.settings, self.rig = settings, rig

    def deploy(
        self,
        spec: ServerGroupSpec,
        strategy: Strategy | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TemporalDeployment:
        """Start a deployment of ``spec`` (red/black by default) on a worker, or join the one
        already started with ``idempotency_key`` — running or finished — instead of starting a
        second (``DeploymentConflict`` when that one deployed another spec or strategy). With a
        ``rig`` the spec and strategy are checked here first (one clear error before anything
        starts)."""
        strategy = strategy or RedBlack()
        if self.rig is not None:
            account = self.rig.account(spec.account)
            account.validate_spec(spec)
            strategy.check(account.capabilities, spec)
        key = idempotency_key or f"deploy-{uuid.uuid4().hex}"
        request = DeployRequest(
            spec=spec.model_dump(mode="json"),
            strategy=strategy.name,
            params=strategy.params(),
            idempotency_key=key,
            options=engine_options(self.settings),
        )

        async def start(client: Client) -> None:
            # Finished under this key already: that deployment is the answer.
            with contextlib.suppress(WorkflowAlreadyStartedError):
                await client.start_workflow(
                    DeploymentWorkflow.run,
                    request,
                    id=key,
                    task_queue=self.settings.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )

        async def started_with(client: Client) -> dict[str, Any]:
            await start(client)
            answer: dict[str, Any] = await client.get_workflow_handle(key).query(
                DeploymentWorkflow.started_with
            )
            return answer

        wanted = {"spec": request.spec, "strategy": request.strategy, "params": request.params}
        if self.call(started_with) != wanted:
            raise DeploymentConflict(
                f"idempotency key {key!r} was used for another spec or strategy"
            )
        return TemporalDeployment(self, key)

    def get(self, key: str) -> TemporalDeployment:
        """The deployment started with idempotency key ``key``."""
        return TemporalDeployment(self, key)

    def call(self, fn: Callable[[Client], Awaitable[T]]) -> T:
        """``fn`` with a client of its own; an unreachable server is one ``DeploymentError``."""
        settings = self.settings

        async def run() -> T:
            try:
                client = await Client.connect(settings.address, namespace=settings.namespace)
            except RuntimeError as exc:
                raise DeploymentError(
                    f"cannot reach Temporal at {settings.address} (namespace "
                    f"{settings.namespace}): {exc}"
                ) from None
            return await fn(client)

        return asyncio.run(run())


class TemporalDeployment:
    """One deployment on Temporal, by its idempotency key (the workflow id)."""

    def __init__(self, deployments: TemporalDeployments, key: str) -> None:
        self.deployments, self.key = deployments, key

    def __repr__(self) -> str:
        return f"<TemporalDeployment {self.key}>"

    def _handle(self, client: Client) -> WorkflowHandle[Any, Any]:
        return client.get_workflow_handle(self.key)

    def wait(self) -> dict[str, Any]:
        """Wait for the workflow to end; its final progress (``progress``'s shape)."""

        async def result(client: Client) -> dict[str, Any]:
            answer: dict[str, Any] = await self._handle(client).result()
            return answer

        return self.deployments.call(result)

    def progress(self) -> dict[str, Any]:
        """The deployment's id, status, step, step name, error and the gate it waits at."""

        async def query(client: Client) -> dict[str, Any]:
            answer: dict[str, Any] = await self._handle(client).query(DeploymentWorkflow.progress)
            return answer

        return self.deployments.call(query)

    @property
    def status(self) -> DeploymentStatus:
        return DeploymentStatus(self.progress()["status"])

    def events(self) -> list[DeploymentEvent]:
        """Every event so far, in order."""

        async def query(client: Client) -> list[dict[str, Any]]:
            answer: list[dict[str, Any]] = await self._handle(client).query(
                DeploymentWorkflow.events
            )
            return answer

        return [DeploymentEvent.model_validate(e) for e in self.deployments.call(query)]

    def promote(self, approve: bool = True) -> None:
        """Answer the gate it waits at (``approve=False`` rejects it: the deployment rolls back)."""

        async def signal(client: Client) -> None:
            await self._handle(client).signal(DeploymentWorkflow.promote, approve)

        self.deployments.call(signal)

    def abort(self) -> None:
        """Undo what it did, then end it ``aborted``."""

        async def signal(client: Client) -> None:
            await self._handle(client).signal(DeploymentWorkflow.abort)

        self.deployments.call(signal)
