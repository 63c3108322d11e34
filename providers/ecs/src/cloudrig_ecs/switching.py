"""Weighted splits: the provider's ``traffic`` noun, moving the listener weights of the groups'
target groups (enable and disable are the server groups').

Every group of a split must stand behind the same load balancers; each of them gets the split's
weights in one ``ModifyListener``. A group at weight 0 has its Application Auto Scaling
suspended, one with traffic resumed.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudrig import InvalidSpec, TrafficWeights
from cloudrig.provider import Traffic
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.services import EcsServices
from cloudrig_ecs.tasks import lbs_of
from cloudrig_ecs.traffic import ListenerWeights


class EcsTraffic(Traffic):
    def __init__(
        self, services: EcsServices, weights: ListenerWeights, autoscaling: Autoscaling
    ) -> None:
        self._services = services
        self._weights = weights
        self._autoscaling = autoscaling

    def _behind(self, region: str, names: Sequence[str]) -> dict[str, dict[str, str]]:
        """Group name → {load balancer: its target group ARN}; all behind the same ones.

        Fixed for a service's life, so read from the cluster listing (the core has just read
        it, for the same groups); a group not in it is described by name."""
        listed = self._services.snapshot(region)
        found = {n: dict(lbs_of(listed.get(n) or self._services.require(region, n))) for n in names}
        shapes = {tuple(sorted(lbs)) for lbs in found.values()}
        if len(shapes) != 1 or not next(iter(shapes)):
            raise InvalidSpec(f"{list(names)} are not behind the same load balancers")
        return found

    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        behind = self._behind(region, list(weights.weights))
        lbs = next(iter(behind.values()))
        for lb in lbs:
            current = self._weights.read(region, lb, fresh=True)
            wanted = {a: 0 for a in current}
            wanted |= {behind[n][lb]: w for n, w in weights.weights.items()}
            self._weights.write(region, lb, wanted)
        for name, weight in weights.weights.items():
            self._autoscaling.set_suspended(region, name, weight == 0)

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        behind = self._behind(region, server_groups)
        lb = next(iter(next(iter(behind.values()))))
        current = self._weights.read(region, lb)
        total = sum(current.values()) or 1
        shares = {n: round(current.get(behind[n][lb], 0) * 100 / total) for n in server_groups}
        return TrafficWeights.model_construct(weights=shares)
