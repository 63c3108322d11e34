"""Traffic weights between server groups of a cluster: capacityScaler on backend services.

GCE spreads a backend service's traffic by each backend's capacity: instances x the balancing
mode's per-instance target x ``capacityScaler``. So a weight becomes a scaler proportional to
``weight / instances`` (the largest scaled to 1.0), and a weight is read back as the group's share
of ``scaler x instances``. This is APPROXIMATE (docs/architecture.md §2): GCE fills backends toward capacity
rather than splitting each request by weight, scalers between 0 and 0.1 are not accepted (they are
raised to 0.1), and zone affinity and health shift the real split. A weight of 0 keeps the group a
backend at scaler 0: warm, out of traffic, its autoscaling policy paused (``autoscalers``) like a
disabled group's, and resumed when its weight is above 0 again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudrig import InvalidSpec, NotFound, TrafficWeights
from cloudrig.provider import Traffic
from cloudrig_gcp import metadata
from cloudrig_gcp.backends import Backends, ServiceRef, same_group
from cloudrig_gcp.locations import Location
from cloudrig_gcp.naming import resource_name
from cloudrig_gcp.server_groups import GcpServerGroups

MIN_SCALER = 0.1


def scalers(weights: dict[str, int], sizes: dict[str, int]) -> dict[str, float]:
    per_instance = {n: w / max(sizes.get(n, 1), 1) for n, w in weights.items()}
    top = max(per_instance.values(), default=0.0)
    if top <= 0:
        return {n: 0.0 for n in weights}
    return {
        n: 0.0 if v <= 0 else round(max(v / top, MIN_SCALER), 4) for n, v in per_instance.items()
    }


def shares(capacities: dict[str, float]) -> dict[str, int]:
    """Integer percentages summing to 100 (largest remainder), or all 0 when nothing serves."""
    total = sum(capacities.values())
    if total <= 0:
        return {n: 0 for n in capacities}
    exact = {n: 100 * c / total for n, c in capacities.items()}
    out = {n: int(v) for n, v in exact.items()}
    for n in sorted(exact, key=lambda k: exact[k] - out[k], reverse=True)[
        : 100 - sum(out.values())
    ]:
        out[n] += 1
    return out


class GcpTraffic(Traffic):
    """The ``traffic`` noun: weights as capacityScalers of the groups' common backend services."""

    def __init__(self, groups: GcpServerGroups, backends: Backends) -> None:
        self.groups = groups
        self.backends = backends

    def _common_lbs(
        self, region: str, names: Sequence[str]
    ) -> tuple[tuple[str, ...], dict[str, Any]]:
        # One regional listing serves every name (under the core's fresh_reads() it is fresh).
        managers = {n: self.groups.describe(region, n) for n in names}
        lbs: set[str] | None = None
        for manager in managers.values():
            facts = metadata.parse(manager.description)
            mine = set(facts.load_balancers if facts else ())
            lbs = mine if lbs is None else lbs & mine
        if not lbs:
            raise InvalidSpec(
                f"server groups {', '.join(names)} share no load balancer to split traffic on",
                provider="gcp",
            )
        return tuple(sorted(lbs)), dict(managers)

    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        wanted = dict(weights.weights)
        lbs, managers = self._common_lbs(region, list(wanted))
        sizes = {n: int(m.target_size) for n, m in managers.items()}
        targets = scalers(wanted, sizes)
        links = {n: str(m.instance_group) for n, m in managers.items()}
        autoscalers = self.groups.autoscalers
        for name, scaler in targets.items():  # out of traffic: paused first
            facts = metadata.parse(managers[name].description)
            if facts is not None and scaler == 0:
                autoscalers.set_paused(Location.of(managers[name]), name, facts.autoscaling, True)
            elif scaler > 0:  # into traffic: with the named ports its services route to
                self.groups.ports.complete_from_listing(region, managers[name])
        self._apply(region, lbs, targets, managers, links)
        for name, scaler in targets.items():  # back in traffic: resumed after
            facts = metadata.parse(managers[name].description)
            if facts is not None and scaler > 0:
                where = Location.of(managers[name])
                autoscalers.set_paused(where, name, facts.autoscaling, False)

    def _apply(
        self,
        region: str,
        lbs: tuple[str, ...],
        targets: dict[str, float],
        managers: dict[str, Any],
        links: dict[str, str],
    ) -> None:
        for lb in lbs:
            for name, scaler in targets.items():
                facts = metadata.parse(managers[name].description)
                ref = facts.services(region)[lb] if facts else ServiceRef(resource_name(lb))
                if self._already(ref, links[name], scaler):
                    continue
                self.backends.add(
                    ref,
                    links[name],
                    mode=facts.balancing_mode if facts else "UTILIZATION",
                    rate=facts.max_rate_per_instance if facts else 100.0,
                    scaler=scaler,
                )

    def _already(self, ref: ServiceRef, link: str, scaler: float) -> bool:
        """The group is a backend at ``scaler`` in the service's recent listing (this
        deployment's own writes are never hidden from it): nothing to write, no fresh read."""
        service = self.backends.snapshot(ref.region).get(ref.name)
        found = [b for b in getattr(service, "backends", []) if same_group(b.group, link)]
        return bool(found) and all(float(b.capacity_scaler) == scaler for b in found)

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        names = list(server_groups)
        lbs, managers = self._common_lbs(region, names)
        facts = metadata.parse(next(iter(managers.values())).description)
        ref = facts.services(region)[lbs[0]] if facts else ServiceRef(resource_name(lbs[0]))
        service = self.backends.get(ref.name, region=ref.region)
        capacities: dict[str, float] = {}
        for name, manager in managers.items():
            link = str(manager.instance_group)
            scaler = next(
                (float(b.capacity_scaler) for b in service.backends if same_group(b.group, link)),
                0.0,
            )
            capacities[name] = scaler * max(int(manager.target_size), 1)
        split = shares(capacities)
        if sum(split.values()) != 100:
            raise NotFound(
                f"none of {', '.join(names)} receives traffic from {lbs[0]!r}", provider="gcp"
            )
        return TrafficWeights(weights=split)
