"""cloudrig.deploy: durable, resumable deployments (DESIGN §6).

A deployment is a plan of steps (``cloudrig.strategies``) whose progress lives in a state store —
SQLite in a local file by default, Redis for many workers — beside a per-cluster lease that is
checked before every mutation and fails closed. ``rig.deploy`` returns a ``Deployment`` whose
events can be iterated or sent to a callback.
"""

from cloudrig._deploy_options import DeploymentsConfig, Duration, parse_duration
from cloudrig.deploy._deployment import Deployment, EventCallback
from cloudrig.deploy._errors import (
    AnalysisFailed,
    ApprovalRejected,
    DeploymentConflict,
    DeploymentError,
    DeploymentNotFound,
    Draining,
    LeaseHeld,
    LeaseLost,
    StateStoreUnavailable,
    WaitTimeout,
)
from cloudrig.deploy._lease import Lease
from cloudrig.deploy._plan import Step
from cloudrig.deploy._records import (
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
    lease_key,
)
from cloudrig.deploy._run import Run
from cloudrig.deploy._sqlite import SqliteStateStore
from cloudrig.deploy._store import StateStore
from cloudrig.deploy._stores import open_store

__all__ = [
    "AnalysisFailed",
    "ApprovalRejected",
    "Deployment",
    "DeploymentConflict",
    "DeploymentError",
    "DeploymentEvent",
    "DeploymentNotFound",
    "DeploymentRecord",
    "DeploymentStatus",
    "DeploymentsConfig",
    "Draining",
    "Duration",
    "EventCallback",
    "EventKind",
    "Lease",
    "LeaseHeld",
    "LeaseLost",
    "Run",
    "SqliteStateStore",
    "StateStore",
    "StateStoreUnavailable",
    "Step",
    "WaitTimeout",
    "lease_key",
    "open_store",
    "parse_duration",
]
