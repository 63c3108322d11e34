"""What a provider can do, declared rather than guessed, so strategies adapt to it.

A plain frozen dataclass, checked in ``__post_init__``: every plugin module builds one to describe
its provider, and listing providers must not import pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class TrafficSplit(StrEnum):
    """How a provider shares traffic between server groups of a cluster."""

    EXACT = "exact"  # weights honoured exactly (ALB weighted forward, Lambda alias)
    APPROXIMATE = "approximate"  # weights shape traffic roughly (GCP capacityScaler)
    CAPACITY_ONLY = "capacity_only"  # traffic follows instance counts (Kubernetes replica ratio)
    NONE = "none"  # all or nothing: enable/disable only


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a provider can do. Invalid combinations raise ``ValueError`` naming the field.

    - ``traffic_split``: how traffic is shared between groups (a ``TrafficSplit`` or its value);
    - ``max_weighted_groups``: how many server groups one weighted split can address (at least 2;
      required when the split is exact);
    - ``baseline_beside_canary``: whether a fresh baseline group can run beside a canary;
    - ``resizable``: whether a group's capacity can change after creation;
    - ``disable_keeps_instances``: whether a disabled group keeps its instances warm;
    - ``efficient_wait``: whether the provider implements ``wait_for_health`` itself.
    """

    traffic_split: TrafficSplit
    max_weighted_groups: int | None = None
    baseline_beside_canary: bool
    resizable: bool = True
    disable_keeps_instances: bool = True
    efficient_wait: bool = False

    def __post_init__(self) -> None:
        try:
            split = TrafficSplit(self.traffic_split)
        except ValueError:
            allowed = ", ".join(repr(s.value) for s in TrafficSplit)
            raise ValueError(
                f"Capabilities.traffic_split: {self.traffic_split!r} is not one of {allowed}"
            ) from None
        object.__setattr__(self, "traffic_split", split)
        for flag in ("baseline_beside_canary", "resizable", "disable_keeps_instances"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"Capabilities.{flag}: expected a bool")
        if not isinstance(self.efficient_wait, bool):
            raise ValueError("Capabilities.efficient_wait: expected a bool")
        most = self.max_weighted_groups
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 2):
            raise ValueError(f"Capabilities.max_weighted_groups: {most!r} is not an int >= 2")
        if split is TrafficSplit.EXACT and most is None:
            raise ValueError("Capabilities: traffic_split 'exact' needs max_weighted_groups")

    @property
    def splits_traffic(self) -> bool:
        """Whether weights shape traffic (exact or approximate): then the ``traffic`` noun is
        required and strategies may shift traffic gradually."""
        return self.traffic_split in (TrafficSplit.EXACT, TrafficSplit.APPROXIMATE)

    def as_json(self) -> dict[str, Any]:
        """The capabilities as JSON-ready data (the split by its value), in declaration order."""
        data = asdict(self)
        data["traffic_split"] = self.traffic_split.value
        return data
