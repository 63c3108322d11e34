"""Sends ``rig.deploy`` (and so ``cloudrig deploy``) to Temporal workers instead of the embedded
engine; everything else of the rig is unchanged.

As a plugin object: ``cloudrig.connect(config, plugins=[TemporalEngine(settings)])``. As a plugin
module, for the command line: ``CLOUDRIG_PLUGINS=cloudrig_temporal.engine`` (or ``cloudrig -p
cloudrig_temporal.engine``) with ``CLOUDRIG_TEMPORAL_CONFIG`` naming a file whose ``temporal``
section says where the workers are (a worker's configuration file will do).

The handle returned is the embedded engine's ``Deployment``: its events arrive live (the
workflow's ``events`` query, polled), and it is done when the deployment finished or waits at a
gate, as with the embedded engine.
"""

from __future__ import annotations

import os
from typing import Any

from cloudrig import Rig, ServerGroupSpec
from cloudrig.engine import Deployment, DeploymentRecord, DeploymentStatus
from cloudrig.provider import hookimpl
from cloudrig.strategies import Strategy
from cloudrig_temporal._client import TemporalDeployment, TemporalDeployments
from cloudrig_temporal._settings import TemporalSettings, split_config

CONFIG_ENV = "CLOUDRIG_TEMPORAL_CONFIG"
POLL = 0.5


class TemporalEngine:
    """A plugin that runs every ``rig.deploy`` of its rig on the workers of ``settings``."""

    def __init__(self, settings: TemporalSettings, *, poll: float = POLL) -> None:
        self.settings, self.poll = settings, poll

    @hookimpl
    def cloudrig_deploy(
        self,
        rig: Rig,
        spec: ServerGroupSpec,
        strategy: Strategy,
        on_event: Any,
        background: bool,
        idempotency_key: str | None,
    ) -> Deployment:
        started = TemporalDeployments(self.settings, rig).deploy(
            spec, strategy, idempotency_key=idempotency_key
        )
        handle = Deployment(on_event)
        if background:
            handle.run_in_background(lambda: follow(started, handle, self.poll))
        else:
            follow(started, handle, self.poll)
        return handle


def follow(started: TemporalDeployment, handle: Deployment, poll: float = POLL) -> None:
    """Publish the deployment's events to ``handle`` until it finished or waits at a gate."""
    import time

    seen = 0
    try:
        while True:
            record = started.deployments.call(_record_of(started))
            events = started.events()
            for event in events[seen:]:
                handle.publish(event)
            seen = len(events)
            if record:
                handle.record = DeploymentRecord.model_validate(record)
                handle.id = handle.record.id
                status = handle.record.status
                if status.finished or status is DeploymentStatus.AWAITING_APPROVAL:
                    break
            time.sleep(poll)
    except BaseException as exc:
        handle.finish(exc)
        raise
    handle.finish()


def _record_of(started: TemporalDeployment) -> Any:
    from cloudrig_temporal._workflow import DeploymentWorkflow

    async def query(client: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await client.get_workflow_handle(started.key).query(
            DeploymentWorkflow.record
        )
        return answer

    return query


@hookimpl
def cloudrig_deploy(
    rig: Rig,
    spec: ServerGroupSpec,
    strategy: Strategy,
    on_event: Any,
    background: bool,
    idempotency_key: str | None,
) -> Deployment:
    """The module form: settings from the file named by ``CLOUDRIG_TEMPORAL_CONFIG``."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        from cloudrig import ConfigError

        raise ConfigError(
            [
                (
                    CONFIG_ENV,
                    "not set: name the file with the 'temporal' section (where the workers are)",
                )
            ]
        )
    settings, _ = split_config(path)
    return TemporalEngine(settings).cloudrig_deploy(
        rig, spec, strategy, on_event, background, idempotency_key
    )


__all__ = ["CONFIG_ENV", "TemporalEngine", "cloudrig_deploy", "follow"]
