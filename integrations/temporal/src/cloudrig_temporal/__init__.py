"""cloudrig-temporal: cloudrig deployments run by Temporal workers (docs/architecture.md §6).

The workflow walks the same strategy's plan as the embedded engine, one step per activity through
the same ``Account``; the record travels in the workflow's history. ``cloudrig worker --config
FILE`` runs a worker; ``TemporalDeployments(settings, rig).deploy(spec, strategy)`` starts a
deployment on one, and the ``cloudrig_temporal.engine`` plugin sends ``rig.deploy`` there and
reads and acts on the deployments there afterwards (``TemporalDeploymentEngine``: listing,
``cloudrig deployments``, promote, abort, rollback); the core never imports Temporal.

Names load on first use, so the ``cloudrig`` command line (which finds ``worker`` here) imports
no Temporal SDK until a Temporal command runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudrig_temporal._activities import DeploymentActivities
    from cloudrig_temporal._client import TemporalDeployment, TemporalDeployments
    from cloudrig_temporal._engine import TemporalDeploymentEngine
    from cloudrig_temporal._settings import ActivityRetry, TemporalSettings, split_config
    from cloudrig_temporal._worker import build_worker, run_worker, serve
    from cloudrig_temporal._workflow import DeploymentWorkflow
    from cloudrig_temporal.engine import TemporalEngine

_LAZY = {
    "ActivityRetry": "_settings",
    "DeploymentActivities": "_activities",
    "DeploymentWorkflow": "_workflow",
    "TemporalDeployment": "_client",
    "TemporalDeploymentEngine": "_engine",
    "TemporalDeployments": "_client",
    "TemporalEngine": "engine",
    "TemporalSettings": "_settings",
    "build_worker": "_worker",
    "run_worker": "_worker",
    "serve": "_worker",
    "split_config": "_settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"cloudrig_temporal.{_LAZY[name]}"), name)
    raise AttributeError(name)


__all__ = [
    "ActivityRetry",
    "DeploymentActivities",
    "DeploymentWorkflow",
    "TemporalDeployment",
    "TemporalDeploymentEngine",
    "TemporalDeployments",
    "TemporalEngine",
    "TemporalSettings",
    "build_worker",
    "run_worker",
    "serve",
    "split_config",
]
