"""Enable, disable and weights: moving a group's target groups' listener weights.

enable gives the group an equal share with the groups already enabled behind each of its load
balancers (as groups sharing a load balancer do on EC2) and resumes its Application Auto Scaling;
disable sets its weights to 0 — its tasks keep running, warm — and suspends its autoscaling
(the strategies scale it to 0 after their delay, not disable). A group behind no load balancer
has no traffic to move: its enabled flag is the tag ``cloudrig:enabled``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudrig import InvalidSpec, TrafficWeights
from cloudrig_ecs import metadata as meta
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.services import Services, lbs_of
from cloudrig_ecs.traffic import ListenerWeights


def _equal(arns: list[str]) -> dict[str, int]:
    share, rest = divmod(100, len(arns))
    return {a: share + (1 if i < rest else 0) for i, a in enumerate(arns)}


class Switching:
    def __init__(
        self, services: Services, weights: ListenerWeights, autoscaling: Autoscaling
    ) -> None:
        self._services = services
        self._weights = weights
        self._autoscaling = autoscaling

    def set_enabled(self, region: str, name: str, enabled: bool) -> None:
        service = self._services.require(region, name, fresh=True)
        behind = lbs_of(service)
        if enabled:
            self._autoscaling.set_suspended(region, name, False)
        for lb, arn in behind:
            current = self._weights.read(region, lb, fresh=True)
            on = [a for a, w in current.items() if w > 0 and a != arn]
            if enabled and arn not in on and current.get(arn, 0) == 0:
                wanted = {a: 0 for a in current} | _equal([*on, arn])
            elif not enabled and current.get(arn, 0) > 0:
                wanted = {a: 0 for a in current} | (_equal(on) if on else {})
            else:
                continue
            self._weights.write(region, lb, wanted)
        if not behind:
            flag = "true" if enabled else "false"
            if meta.as_dict(service.get("tags")).get(meta.ENABLED, "true") != flag:
                self._services.ecs(region).call(
                    "tag_resource",
                    resource=name,
                    safe=True,
                    resourceArn=service["serviceArn"],
                    tags=[{"key": meta.ENABLED, "value": flag}],
                )
                self._services.changed(region, name)
        if not enabled:
            self._autoscaling.set_suspended(region, name, True)

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

    def get_weights(self, region: str, names: Sequence[str]) -> TrafficWeights:
        behind = self._behind(region, names)
        lb = next(iter(next(iter(behind.values()))))
        current = self._weights.read(region, lb)
        total = sum(current.values()) or 1
        shares = {n: round(current.get(behind[n][lb], 0) * 100 / total) for n in names}
        return TrafficWeights.model_construct(weights=shares)
