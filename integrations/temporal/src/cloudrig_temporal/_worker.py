"""A worker: hosts the deployment workflow and its activities on a task queue.

Activities run in threads (the providers are synchronous); each worker has its own ``Rig`` and
limiter — configure the limiter on Redis (``limits`` in the configuration) so every worker draws
from one budget per cloud API, and the state store too (``deployments``): it holds the clusters'
leases (``_lease``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import cloudrig
from cloudrig import Rig
from cloudrig_temporal._activities import DeploymentActivities
from cloudrig_temporal._settings import TemporalSettings, split_config
from cloudrig_temporal._workflow import DeploymentWorkflow


def build_worker(
    client: Client,
    rig: Rig,
    settings: TemporalSettings,
    executor: concurrent.futures.ThreadPoolExecutor,
) -> Worker:
    """A worker of ``settings.task_queue`` whose activities act through ``rig``."""
    activities = DeploymentActivities(
        rig, heartbeat_timeout=settings.heartbeat_timeout, gate_hold=settings.gate_hold
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DeploymentWorkflow],
        activities=[activities.prepare, activities.advance, activities.restore],
        activity_executor=executor,
        max_concurrent_activities=settings.max_concurrent_steps,
        workflow_runner=workflow_runner(),
    )


def workflow_runner() -> SandboxedWorkflowRunner:
    """The workflow's sandbox: cloudrig's modules pass through (they are deterministic in what
    the workflow uses of them: the messages); a replayer uses the same."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        "cloudrig_temporal", "cloudrig", "pydantic"
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


async def serve(rig: Rig, settings: TemporalSettings, stop: asyncio.Event | None = None) -> None:
    """Run a worker until ``stop`` is set (forever without one)."""
    client = await Client.connect(settings.address, namespace=settings.namespace)
    with concurrent.futures.ThreadPoolExecutor(settings.max_concurrent_steps) as executor:
        worker = build_worker(client, rig, settings, executor)
        if stop is None:
            await worker.run()
            return
        async with worker:
            await stop.wait()


def run_worker(config: str | Path | Mapping[str, Any], *, plugins: list[str] | None = None) -> None:
    """``cloudrig worker --config FILE``: connect the configuration's accounts and serve."""
    settings, rest = split_config(config)
    rig = cloudrig.connect(rest, plugins=plugins or ())
    try:
        asyncio.run(serve(rig, settings))
    finally:
        rig.close()
