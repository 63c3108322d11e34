"""The typed facts a deployment's steps share, kept in its record (``DeploymentRecord.state``).

One model instead of a free-form mapping: every key is declared here, with its type, so a typo is
an error (unknown keys are refused, in code and in a stored record) and the JSON form stays
readable. Times are instants (``datetime``), never durations, so a resumed run waits only what is
left of a delay or a deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudrig._model._resources import Capacity


class GroupSnapshot(BaseModel):
    """One group of the cluster as it was before the deployment (what a failure restores)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    capacity: Capacity
    enabled: bool
    healthy: int = 0
    share: int = 0
    """Percent of the cluster's traffic it had (0 when disabled)."""
    artifact: str | None = None
    pinned_by_us: bool = False
    """Pinned against its autoscaler by this deployment (rolling red/black): unpinned on exit."""


class PendingOp(BaseModel):
    """A mutation about to be sent, saved first: when the worker dies before it learns the answer
    (perhaps after only part of it landed), the resumed run sends it again (every operation is
    idempotent) before anything else, so a half-applied operation is completed. A ``create`` is
    sent again by the step that creates (it needs the spec), when it finds the group half made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal["create", "resize", "enable", "disable", "destroy", "set_weights"]
    name: str | None = None
    capacity: Capacity | None = None
    weights: dict[str, int] | None = None
    why: str = ""


class PlanPrint(BaseModel):
    """What a deployment's plan was when it started: a resume whose plan differs is refused unless
    migration is allowed (``rig.resume(id, migrate=True)``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    strategy: str
    steps: tuple[str, ...]
    params: dict[str, Any] = Field(default_factory=dict)
    provider: str = ""

    def describe(self) -> str:
        """One line for messages: the strategy, its steps and the provider."""
        return f"{self.strategy} [{', '.join(self.steps)}] on {self.provider or 'a provider'}"


class DeploymentState(BaseModel):
    """Everything the steps of one deployment know beyond the cloud, by name."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # -- the snapshot and reservations (every strategy) -------------------------------------------
    original: dict[str, GroupSnapshot] = Field(default_factory=dict)
    """Every group of the cluster before the deployment, by name, oldest first."""
    sequences: dict[str, int] = Field(default_factory=dict)
    names: dict[str, str] = Field(default_factory=dict)
    """The reserved cloud name of each group this deployment creates, by role."""
    previous: str | None = None
    """The newest group that was enabled and healthy before: the rollback target."""
    verified: str | None = None
    """The group this deployment verified healthy and put in traffic."""
    plan: PlanPrint | None = None
    pending: PendingOp | None = None

    # -- timers and gates: instants, so a resume waits only what is left --------------------------
    deadlines: dict[str, datetime] = Field(default_factory=dict)
    """Each delay's and wait's end, keyed by the step (or restore) and its position in it."""
    gates_opened: dict[str, datetime] = Field(default_factory=dict)
    started: dict[str, datetime] = Field(default_factory=dict)
    """When each step (and a resume, a restore) first began: ``cloudrig deployments show``'s
    timings."""
    rollback_requested: bool = False
    abort_requested: bool = False
    """Abandoned on request (``rig.abort``): the restore ends it ``aborted``, not ``rolled_back``."""

    # -- canary --------------------------------------------------------------------------------------
    baseline_artifact: str | None = None
    analyses: list[dict[str, Any]] = Field(default_factory=list)
    outcome: str | None = None

    # -- rollback ------------------------------------------------------------------------------------
    bad: str | None = None
    target: str | None = None
    target_capacity: Capacity | None = None

    # -- plugins' strategies -------------------------------------------------------------------------
    custom: dict[str, Any] = Field(default_factory=dict)
    """A contributed strategy's own facts (JSON values); the built-in ones use the fields above."""
