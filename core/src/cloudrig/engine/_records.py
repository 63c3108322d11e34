"""What a state store keeps: one record per deployment (its plan position and facts) and its events.

A record is small JSON: the spec, the strategy with its parameters, the step reached, and the typed
``state`` the steps share (``_state.DeploymentState``: original capacities, reserved names, timers,
analysis results). The cloud keeps
only the moniker and the deployment id, written at create time; everything else lives here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudrig._model._resources import Moniker, ServerGroupSpec
from cloudrig.engine._state import DeploymentState


class DeploymentStatus(StrEnum):
    """Where a deployment is: under way (running, awaiting approval, rolling back) or finished
    (the other four, ``finished``)."""

    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    ROLLING_BACK = "rolling_back"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The deployment failed and the cluster was restored to how it was before it."""
    ROLLED_BACK = "rolled_back"
    """Stopped on request (rejected, or rolled back while in flight) and restored."""
    ABORTED = "aborted"
    """Abandoned on request (``rig.abort``, ``cloudrig abort``): what it did was undone."""

    @property
    def finished(self) -> bool:
        """True for succeeded, failed, rolled back and aborted: nothing more will happen."""
        return self in (self.SUCCEEDED, self.FAILED, self.ROLLED_BACK, self.ABORTED)


class EventKind(StrEnum):
    """What a deployment event reports (``DeploymentEvent.kind``)."""

    STARTED = "started"
    RESUMED = "resumed"
    CREATED = "created"
    WAITING = "waiting"
    HEALTHY = "healthy"
    TRAFFIC_MOVED = "traffic_moved"
    ENABLED = "enabled"
    DISABLED = "disabled"
    SCALED = "scaled"
    PINNED = "pinned"
    UNPINNED = "unpinned"
    DESTROYED = "destroyed"
    ANALYSIS = "analysis"
    APPROVAL_NEEDED = "approval_needed"
    APPROVED = "approved"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    DONE = "done"
    NOTE = "note"
    LEASE_WAIT = "lease_wait"
    """The cluster is busy: this run waits for another worker's lease (holder, longest wait)."""
    JOINED = "joined"
    """This request joined a deployment another worker ran or runs (its id and status)."""


class DeploymentEvent(BaseModel):
    """One observable step of a deployment (also sent to ``cloudrig_deployment_event`` hooks)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deployment_id: str
    seq: int
    """1, 2, 3... per deployment, assigned by the state store when the event is appended (what a
    writer puts here is replaced), so two writers never number two events alike."""
    time: datetime
    kind: EventKind
    message: str
    server_group: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.time:%H:%M:%S} {self.kind.value:<15} {self.message}"


class DeploymentRecord(BaseModel):
    """The durable progress of one deployment (mutable: the executor advances it)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    id: str
    kind: str = "deploy"
    account: str
    region: str
    moniker: Moniker
    spec: ServerGroupSpec | None = None
    strategy: str
    params: dict[str, Any] = Field(default_factory=dict)
    fingerprint: str
    status: DeploymentStatus = DeploymentStatus.RUNNING
    step: int = 0
    step_name: str = ""
    state: DeploymentState = Field(default_factory=DeploymentState)
    approvals: dict[str, bool] = Field(default_factory=dict)
    error: str | None = None
    idempotency_key: str | None = None
    """The caller's key for this request (``rig.deploy(..., idempotency_key=...)``): a request
    with a key already used is answered by this deployment instead of starting another."""
    created_at: datetime
    updated_at: datetime

    @property
    def cluster(self) -> str:
        """The cluster's name (``app-stack-detail``) of the deployed moniker."""
        return self.moniker.cluster

    @property
    def lease_key(self) -> str:
        """The per-cluster lease: one deployment at a time per cluster and region of an account."""
        return lease_key(self.account, self.region, self.moniker)


def lease_key(account: str, region: str, moniker: Moniker) -> str:
    """The key of a cluster's lease in the state store: one deployment at a time per cluster
    and region of an account (``DeploymentRecord.lease_key``)."""
    # JSON-ish and unambiguous: app/stack/detail may contain any character, including '/'.
    return f"{account}\x1f{region}\x1f{moniker.app}\x1f{moniker.stack}\x1f{moniker.detail}"
