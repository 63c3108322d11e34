"""What the workflow and its activities exchange: plain, JSON-serialisable dataclasses (a record
and events travel as their JSON form, so the workflow's sandbox never imports the engine)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EngineOptions:
    """The activity options of one deployment, fixed when it starts (``TemporalSettings``)."""

    heartbeat_timeout: float
    step_timeout: float
    retry_initial: float
    retry_maximum: float
    retry_backoff: float
    retry_attempts: int
    restore_retry: float
    restore_attempts: int


@dataclass(frozen=True)
class DeployRequest:
    """Start a deployment of ``spec``; or, with ``kind='rollback'`` (no spec), a rollback of
    the cluster ``cluster`` of ``account`` in ``region``. ``history`` is the cluster's earlier
    deployments' records (what the rollback strategy consults, as it does the state store's).
    The fields after ``options`` were added later: their defaults keep older histories' inputs
    readable."""

    spec: dict[str, Any] | None
    strategy: str
    params: dict[str, Any]
    idempotency_key: str
    options: EngineOptions
    kind: str = "deploy"
    account: str = ""
    cluster: str = ""
    region: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class StepRequest:
    """Advance the deployment ``record`` by one step (or restore it: ``reason``)."""

    record: dict[str, Any]
    events_seen: int
    reason: str = ""
    """For the restore: 'rejected' or 'expired' (at the gate ``detail``), 'failed' (``detail``
    says why), 'abort' or 'continue' (an incomplete restore)."""
    detail: str = ""


@dataclass
class Progress:
    """An activity's answer: the record as it left it and the events it emitted."""

    record: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "advanced"
    """'advanced' (a step done, or the deployment finished), 'gate' (awaiting approval at
    ``gate``) or 'sleep' (a delay: wait until ``sleep_until``, then run the same step again)."""
    gate: str = ""
    sleep_until: str = ""
    approval_timeout: float | None = None
