"""Sends ``rig.deploy`` (and so ``cloudrig deploy``) to Temporal workers instead of the embedded
engine, and with it everything done with a deployment afterwards: ``rig.deployments``,
``rig.deployment``, ``rig.resume``, ``rig.promote``, ``rig.abort``, ``rig.rollback`` — and so
``cloudrig deployments``, ``deployments show``, ``resume``, ``promote``, ``abort`` and
``rollback`` — read and act on Temporal (the ``cloudrig_deploy`` and ``cloudrig_deployments``
hooks; ``_engine``). Everything else of the rig is unchanged.

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
from cloudrig.engine import Deployment
from cloudrig.provider import hookimpl
from cloudrig.strategies import Strategy
from cloudrig_temporal._client import TemporalDeployments
from cloudrig_temporal._engine import POLL, TemporalDeploymentEngine, follow
from cloudrig_temporal._settings import TemporalSettings, split_config

CONFIG_ENV = "CLOUDRIG_TEMPORAL_CONFIG"


class TemporalEngine:
    """A plugin that runs every deployment of its rig on the workers of ``settings``."""

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
        temporal = TemporalDeployments(self.settings, rig)
        started = temporal.deploy(spec, strategy, idempotency_key=idempotency_key)
        handle = Deployment(on_event)
        if background:
            handle.run_in_background(lambda: follow(temporal, started.key, handle, self.poll))
        else:
            follow(temporal, started.key, handle, self.poll)
        return handle

    @hookimpl
    def cloudrig_deployments(self, rig: Rig) -> TemporalDeploymentEngine:
        return TemporalDeploymentEngine(self.settings, rig, poll=self.poll)


def _configured() -> TemporalEngine:
    """The module form's engine: settings from the file named by ``CLOUDRIG_TEMPORAL_CONFIG``."""
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
    return TemporalEngine(settings)


@hookimpl
def cloudrig_deploy(
    rig: Rig,
    spec: ServerGroupSpec,
    strategy: Strategy,
    on_event: Any,
    background: bool,
    idempotency_key: str | None,
) -> Deployment:
    return _configured().cloudrig_deploy(rig, spec, strategy, on_event, background, idempotency_key)


@hookimpl
def cloudrig_deployments(rig: Rig) -> TemporalDeploymentEngine:
    return _configured().cloudrig_deployments(rig)


__all__ = ["CONFIG_ENV", "TemporalEngine", "cloudrig_deploy", "cloudrig_deployments", "follow"]
