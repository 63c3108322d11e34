"""What a provider can do, declared rather than guessed, so strategies adapt to it."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrafficSplit(StrEnum):
    """How a provider shares traffic between server groups of a cluster."""

    EXACT = "exact"  # weights honoured exactly (ALB weighted forward, Lambda alias)
    APPROXIMATE = "approximate"  # weights shape traffic roughly (GCP capacityScaler)
    CAPACITY_ONLY = "capacity_only"  # traffic follows instance counts (Kubernetes replica ratio)
    NONE = "none"  # all or nothing: enable/disable only


class Capabilities(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    traffic_split: TrafficSplit
    max_weighted_groups: int | None = Field(
        default=None, ge=2, description="How many server groups one weighted split can address"
    )
    baseline_beside_canary: bool = Field(
        description="Whether a fresh baseline group can run beside a canary"
    )
    resizable: bool = True
    disable_keeps_instances: bool = Field(
        default=True, description="Whether a disabled group keeps its instances warm"
    )
    efficient_wait: bool = Field(
        default=False, description="Whether the provider implements wait_for_health itself"
    )

    @model_validator(mode="after")
    def _weights_bounded(self) -> Self:
        if self.traffic_split is TrafficSplit.EXACT and self.max_weighted_groups is None:
            raise ValueError("traffic_split 'exact' needs max_weighted_groups")
        return self

    @property
    def splits_traffic(self) -> bool:
        return self.traffic_split in (TrafficSplit.EXACT, TrafficSplit.APPROXIMATE)
