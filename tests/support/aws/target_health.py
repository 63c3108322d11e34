"""ELBv2 target health under test control, on top of moto's target groups.

moto reports every registered target ``healthy`` forever and forgets deregistered ones at once.
This extension (patched into moto's ``FakeTargetGroup`` / ``ELBv2Backend`` in process) lets a test
choose, per target group or per target, a fixed state or a lifecycle: ``initial`` for some seconds
after registration, then ``healthy`` or ``unhealthy``; and ``draining`` for some seconds after
deregistration, during which ``describe_target_health`` still lists the target, as AWS does.
With nothing configured, moto's behaviour is unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

# AWS's reason code and description for each state (TargetHealth in the ELBv2 API reference).
_REASONS: dict[str, tuple[str | None, str | None]] = {
    "healthy": (None, None),
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "unhealthy": ("Target.FailedHealthChecks", "Health checks failed"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
    "unused": ("Target.NotRegistered", "Target is not registered to the target group"),
    "unavailable": ("Elb.InternalError", "Target health is unavailable"),
}


@dataclass(frozen=True)
class Lifecycle:
    """How targets of a group move: ``initial`` for ``initial_for`` s after registration, then
    ``then``; ``draining`` for ``draining_for`` s after deregistration."""

    initial_for: float = 0.0
    then: str = "healthy"
    draining_for: float = 0.0


class TargetHealth:
    """Per target group / per target health overrides; a fixed state beats the lifecycle."""

    def __init__(self, lock: threading.RLock, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = lock
        self.clock = clock
        self._fixed: dict[tuple[str, str | None], tuple[str, str | None, str | None]] = {}
        self._lifecycles: dict[str, Lifecycle] = {}
        self._registered_at: dict[tuple[str, str], float] = {}
        self._deregistered_at: dict[tuple[str, str], float] = {}
        self._originals: dict[str, Callable[..., Any]] = {}

    # --- test API ----------------------------------------------------------------------------

    def set(
        self,
        target_group_arn: str,
        state: str,
        *,
        target_id: str | None = None,
        reason: str | None = None,
        description: str | None = None,
    ) -> None:
        """Pin ``state`` for one target (``target_id``) or every target of the group."""
        if state not in _REASONS:
            raise ValueError(f"unknown target health state {state!r}")
        default_reason, default_description = _REASONS[state]
        with self._lock:
            self._fixed[(target_group_arn, target_id)] = (
                state,
                reason or default_reason,
                description or default_description,
            )

    def unset(self, target_group_arn: str, *, target_id: str | None = None) -> None:
        with self._lock:
            self._fixed.pop((target_group_arn, target_id), None)

    def lifecycle(self, target_group_arn: str, lifecycle: Lifecycle) -> None:
        """Apply ``lifecycle`` to targets of the group (registrations from now on are timed)."""
        if lifecycle.then not in ("healthy", "unhealthy"):
            raise ValueError("a lifecycle ends healthy or unhealthy")
        with self._lock:
            self._lifecycles[target_group_arn] = lifecycle

    def clear(self) -> None:
        """Back to moto's behaviour (everything registered is healthy)."""
        with self._lock:
            self._fixed.clear()
            self._lifecycles.clear()
            self._registered_at.clear()
            self._deregistered_at.clear()

    # --- state -------------------------------------------------------------------------------

    def state_of(self, target_group_arn: str, target_id: str) -> tuple[str, str | None, str | None]:
        """The overridden state of a registered target, or moto's ``healthy``."""
        fixed = self._fixed.get((target_group_arn, target_id)) or self._fixed.get(
            (target_group_arn, None)
        )
        if fixed is not None:
            return fixed
        life = self._lifecycles.get(target_group_arn)
        registered = self._registered_at.get((target_group_arn, target_id))
        if life is not None and registered is not None:
            state = "initial" if self.clock() - registered < life.initial_for else life.then
            return (state, *_REASONS[state])
        return ("healthy", None, None)

    def _draining(self, group: FakeTargetGroup) -> list[str]:
        life = self._lifecycles.get(group.arn)
        if life is None:
            return []
        now = self.clock()
        return [
            tid
            for (arn, tid), at in self._deregistered_at.items()
            if arn == group.arn
            and now - at < life.draining_for
            and tid in group.deregistered_targets
        ]

    # --- moto patches ------------------------------------------------------------------------

    def install(self) -> None:
        originals: dict[str, Callable[..., Any]] = {
            "register": FakeTargetGroup.register,
            "deregister": FakeTargetGroup.deregister,
            "health_for": FakeTargetGroup.health_for,
            "describe_target_health": ELBv2Backend.describe_target_health,
        }
        self._originals = originals
        control = self

        def register(group: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
            originals["register"](group, targets)
            with control._lock:
                for target in targets:
                    control._registered_at[(group.arn, target["Id"])] = control.clock()
                    control._deregistered_at.pop((group.arn, target["Id"]), None)

        def deregister(group: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
            originals["deregister"](group, targets)
            with control._lock:
                for target in targets:
                    control._deregistered_at[(group.arn, target["Id"])] = control.clock()
                    control._registered_at.pop((group.arn, target["Id"]), None)

        def health_for(
            group: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any
        ) -> FakeHealthStatus:
            status: FakeHealthStatus = originals["health_for"](group, target, ec2_backend)
            with control._lock:
                if target["Id"] in control._draining(group):
                    port = group.deregistered_targets[target["Id"]]["Port"]
                    return FakeHealthStatus(
                        target["Id"],
                        port,
                        group.health_check_port,
                        "draining",
                        *_REASONS["draining"],
                    )
                if status.status != "healthy":
                    return status  # not registered, stopped instance: moto's answer stands
                state, reason, description = control.state_of(group.arn, target["Id"])
            return FakeHealthStatus(
                status.instance_id,
                status.port,
                status.health_check_port,
                state,
                reason,
                description,
            )

        def describe_target_health(
            backend: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]
        ) -> list[FakeHealthStatus]:
            group = backend.target_groups.get(target_group_arn)
            if not targets and group is not None:
                with control._lock:
                    draining = control._draining(group)
                targets = list(group.targets.values()) + [
                    group.deregistered_targets[tid] for tid in draining
                ]
            result: list[FakeHealthStatus] = originals["describe_target_health"](
                backend, target_group_arn, targets
            )
            return result

        for name, patched in (
            ("register", register),
            ("deregister", deregister),
            ("health_for", health_for),
        ):
            setattr(FakeTargetGroup, name, patched)
        ELBv2Backend.describe_target_health = describe_target_health  # type: ignore[assignment,method-assign]

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            owner = ELBv2Backend if name == "describe_target_health" else FakeTargetGroup
            setattr(owner, name, original)
        self._originals = {}
