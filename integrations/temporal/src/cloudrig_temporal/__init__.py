"""cloudrig-temporal: cloudrig deployments run by Temporal workers (docs/architecture.md §6).

The workflow walks the same strategy's plan as the embedded engine, one step per activity through
the same ``Account``; the record travels in the workflow's history. ``cloudrig worker --config
FILE`` runs a worker; ``TemporalDeployments(settings, rig).deploy(spec, strategy)`` starts a
deployment on one (the core never imports Temporal).
"""

from cloudrig_temporal._activities import DeploymentActivities
from cloudrig_temporal._client import TemporalDeployment, TemporalDeployments
from cloudrig_temporal._settings import ActivityRetry, TemporalSettings, split_config
from cloudrig_temporal._worker import build_worker, run_worker, serve
from cloudrig_temporal._workflow import DeploymentWorkflow

__all__ = [
    "ActivityRetry",
    "DeploymentActivities",
    "DeploymentWorkflow",
    "TemporalDeployment",
    "TemporalDeployments",
    "TemporalSettings",
    "build_worker",
    "run_worker",
    "serve",
    "split_config",
]
