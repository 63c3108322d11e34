"""Neutral health states and their aggregation over the sources that report on an instance.

The models build their validators on first use (``defer_build``), like the rest of the neutral model.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class HealthState(StrEnum):
    """An instance's health as one source reports it, and as cloudrig aggregates it.

    ``UP`` serves; ``DOWN`` failed its checks; ``STARTING`` is launching or not yet checked;
    ``OUT_OF_SERVICE`` is healthy but deliberately out of traffic (a disabled group);
    ``DRAINING`` finishes its connections before leaving; ``UNKNOWN`` has no report yet.
    """

    UP = "UP"
    DOWN = "DOWN"
    STARTING = "STARTING"
    OUT_OF_SERVICE = "OUT_OF_SERVICE"
    DRAINING = "DRAINING"
    UNKNOWN = "UNKNOWN"


class HealthDetail(BaseModel):
    """What one source (cloud status, load balancer, readiness probe...) says about an instance."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    source: str
    state: HealthState
    description: str = ""


# The order in which one source's verdict overrides the others (docs/architecture.md §2).
_PRECEDENCE = (
    HealthState.DOWN,
    HealthState.OUT_OF_SERVICE,
    HealthState.DRAINING,
    HealthState.STARTING,
)


def aggregate_health(states: Iterable[HealthState | HealthDetail]) -> HealthState:
    """Aggregate per-source states: any Down wins, then OutOfService, Draining, Starting; at least
    one Up with the rest Up or Unknown is Up; anything else (including no source at all, or all
    Unknown) is Unknown — all-unknown is never Up."""
    seen = {s.state if isinstance(s, HealthDetail) else HealthState(s) for s in states}
    for state in _PRECEDENCE:
        if state in seen:
            return state
    if HealthState.UP in seen:
        return HealthState.UP
    return HealthState.UNKNOWN


class InstanceCounts(BaseModel):
    """How many instances of a server group are in each aggregated state."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    total: int = 0
    up: int = 0
    down: int = 0
    starting: int = 0
    out_of_service: int = 0
    draining: int = 0
    unknown: int = 0

    @classmethod
    def of(cls, states: Iterable[HealthState]) -> InstanceCounts:
        """Count the given instance health states."""
        counts = {state: 0 for state in HealthState}
        for state in states:
            counts[state] += 1
        return cls(
            total=sum(counts.values()),
            up=counts[HealthState.UP],
            down=counts[HealthState.DOWN],
            starting=counts[HealthState.STARTING],
            out_of_service=counts[HealthState.OUT_OF_SERVICE],
            draining=counts[HealthState.DRAINING],
            unknown=counts[HealthState.UNKNOWN],
        )
