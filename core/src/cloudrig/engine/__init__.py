"""cloudrig.engine: durable, resumable deployments (docs/architecture.md §6).

A deployment is a plan of steps (``cloudrig.strategies``) whose progress lives in a state store —
SQLite in a local file by default, Redis for many workers — beside a per-cluster lease that is
checked before every mutation and fails closed. ``rig.deploy`` returns a ``Deployment`` whose
events can be iterated or sent to a callback.

Strategies (``cloudrig.strategies`` and plugins') are the engine's clients: a ``Strategy`` returns
``Step``s whose bodies act through the ``Run`` they are given (reads, fenced mutations, waits,
events), and may use ``restore`` and ``healthy_target``; nothing else of the engine is theirs.
"""

from cloudrig._config._deployments import DeploymentsConfig, Duration, parse_duration
from cloudrig.engine._deployment import Deployment, DeploymentEngine, EventCallback
from cloudrig.engine._errors import (
    AnalysisFailed,
    ApprovalRejected,
    DeploymentConflict,
    DeploymentError,
    DeploymentNotFound,
    Draining,
    LeaseHeld,
    LeaseLost,
    NothingToRollBack,
    PlanChanged,
    StateStoreUnavailable,
    WaitTimeout,
)
from cloudrig.engine._executor import Plan, request_rollback, roll_back_after
from cloudrig.engine._hints import (
    created_before,
    creating_anew,
    instances_wanted,
    without_instances,
)
from cloudrig.engine._lease import Lease, NullLease
from cloudrig.engine._observed import StepObservation
from cloudrig.engine._plan import Step
from cloudrig.engine._records import (
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
    lease_key,
)
from cloudrig.engine._restore import restore
from cloudrig.engine._run import Run
from cloudrig.engine._sqlite import SqliteStateStore
from cloudrig.engine._state import DeploymentState, GroupSnapshot, PendingOp, PlanPrint
from cloudrig.engine._store import StateStore, open_store
from cloudrig.engine._waiting import healthy_target

__all__ = [
    "AnalysisFailed",
    "ApprovalRejected",
    "Deployment",
    "DeploymentConflict",
    "DeploymentEngine",
    "DeploymentError",
    "DeploymentEvent",
    "DeploymentNotFound",
    "DeploymentRecord",
    "DeploymentState",
    "DeploymentStatus",
    "DeploymentsConfig",
    "Draining",
    "Duration",
    "EventCallback",
    "EventKind",
    "GroupSnapshot",
    "Lease",
    "LeaseHeld",
    "LeaseLost",
    "NothingToRollBack",
    "NullLease",
    "PendingOp",
    "Plan",
    "PlanChanged",
    "PlanPrint",
    "Run",
    "SqliteStateStore",
    "StateStore",
    "StateStoreUnavailable",
    "Step",
    "StepObservation",
    "WaitTimeout",
    "created_before",
    "creating_anew",
    "healthy_target",
    "instances_wanted",
    "lease_key",
    "open_store",
    "parse_duration",
    "request_rollback",
    "restore",
    "roll_back_after",
    "without_instances",
]
