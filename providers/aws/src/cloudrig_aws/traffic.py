"""Exact traffic splits: ALB weighted forward actions over per-version target groups.

Normally the groups of a cluster share their load balancer's target group and traffic follows
instance counts (``server_groups``). ``set_traffic_weights`` switches a load balancer to a split:
each named group gets a target group of its own (``w-…``, created from the shared one's settings
and attached to its Auto Scaling group) and every listener of the load balancer forwards to those
with the given weights (ALB: at most 5 target groups per forward action). Groups with weight 0
are also disabled; the others enabled. A split that gives one group everything — and any
enable/disable of a group on a split load balancer — ends the split: the listeners forward to the
shared target group again and the per-version ones are detached.

Network load balancers forward to one target group per listener: they take only splits that give
one group everything.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

from cloudrig import Conflict, InvalidSpec, TrafficWeights
from cloudrig_aws import metadata
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.naming import weight_target_group_name
from cloudrig_aws.server_groups import ServerGroups, is_enabled
from cloudrig_aws.target_groups import TargetGroups, name_of

MAX_WEIGHTED = 5


class Traffic:
    def __init__(self, factory: ClientFactory, tgs: TargetGroups, groups: ServerGroups) -> None:
        self._factory = factory
        self._tgs = tgs
        self._groups = groups
        self._account = factory.account
        self._lbs: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _elb(self, region: str) -> Any:
        return self._factory.client("elbv2", region)

    def _load_balancer(self, region: str, name: str) -> dict[str, Any]:
        """ARN and type of a load balancer by name, remembered (both are fixed for its life)."""
        with self._lock:
            known = self._lbs.get((region, name))
        if known is None:
            known = self._elb(region).call("describe_load_balancers", Names=[name], resource=name)[
                "LoadBalancers"
            ][0]
            with self._lock:
                self._lbs[(region, name)] = known
        return known

    def _listeners(self, region: str, lb_name: str) -> list[dict[str, Any]]:
        arn = self._load_balancer(region, lb_name)["LoadBalancerArn"]
        listeners: list[dict[str, Any]] = self._elb(region).call(
            "describe_listeners", LoadBalancerArn=arn, resource=lb_name
        )["Listeners"]
        return listeners

    def _forward(self, region: str, lb_name: str, targets: dict[str, int]) -> None:
        """Point every listener of the load balancer at ``{target group ARN: weight}``."""
        if len(targets) == 1:
            action: dict[str, Any] = {"Type": "forward", "TargetGroupArn": next(iter(targets))}
        else:
            action = {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": arn, "Weight": w} for arn, w in targets.items()
                    ]
                },
            }
        for listener in self._listeners(region, lb_name):
            self._elb(region).call(
                "modify_listener",
                resource=lb_name,
                ListenerArn=listener["ListenerArn"],
                DefaultActions=[action],
            )

    def _describe(self, region: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
        asg = self._factory.client("autoscaling", region)
        found = asg.call(
            "describe_auto_scaling_groups",
            AutoScalingGroupNames=list(names),
            resource=",".join(names),
        )["AutoScalingGroups"]
        groups = {g["AutoScalingGroupName"]: g for g in found}
        missing = [n for n in names if n not in groups]
        if missing:
            from cloudrig import NotFound

            raise NotFound(
                f"server groups {', '.join(missing)} do not exist in {region}",
                provider="aws",
                account=self._account,
                resource=",".join(missing),
            )
        return groups

    def _common_lbs(self, groups: dict[str, dict[str, Any]]) -> tuple[str, ...]:
        sets = {
            metadata.load_balancers(metadata.as_dict(g.get("Tags", []))) for g in groups.values()
        }
        if len(sets) != 1 or not next(iter(sets)):
            raise InvalidSpec(
                "a traffic split needs server groups behind the same load balancers",
                provider="aws",
                account=self._account,
            )
        return next(iter(sets))

    # -- set ---------------------------------------------------------------------------------------
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        wanted = dict(weights.weights)
        if len(wanted) > MAX_WEIGHTED:
            raise InvalidSpec(
                f"an ALB forward action splits over at most {MAX_WEIGHTED} server "
                f"groups, got {len(wanted)}",
                provider="aws",
            )
        groups = self._describe(region, list(wanted))
        lbs = self._common_lbs(groups)
        positive = [g for g, w in wanted.items() if w > 0]
        try:
            if len(positive) == 1:
                self._end_split(region, lbs, groups)
            else:
                self._split(region, lbs, groups, wanted)
            for name in wanted:
                self._groups.set_enabled(region, name, wanted[name] > 0)
        finally:
            self._groups.invalidate(region)

    def _split(
        self,
        region: str,
        lbs: tuple[str, ...],
        groups: dict[str, dict[str, Any]],
        wanted: dict[str, int],
    ) -> None:
        for lb_name in lbs:
            if self._load_balancer(region, lb_name).get("Type") == "network":
                raise InvalidSpec(
                    f"load balancer {lb_name!r} is a network load balancer: it "
                    "cannot split traffic by weight",
                    provider="aws",
                )
        shared = self._tgs.describe(region, lbs)
        template = shared[lbs[0]]
        arns: dict[str, str] = {}
        asg = self._factory.client("autoscaling", region)
        for name, group in groups.items():
            arn = self._weight_target_group(region, name, template)
            arns[name] = arn
            if arn not in group.get("TargetGroupARNs", []):
                asg.call(
                    "attach_load_balancer_target_groups",
                    resource=name,
                    AutoScalingGroupName=name,
                    TargetGroupARNs=[arn],
                )
        for lb_name in lbs:
            self._forward(region, lb_name, {arns[g]: w for g, w in wanted.items()})

    def _weight_target_group(self, region: str, group: str, template: dict[str, Any]) -> str:
        name = weight_target_group_name(group)
        try:
            return self._tgs.arns(region, [name])[0]
        except Exception:  # NotFound: create it from the shared target group's settings
            pass
        keys = (
            "Protocol",
            "Port",
            "VpcId",
            "HealthCheckProtocol",
            "HealthCheckPort",
            "HealthCheckPath",
            "HealthCheckIntervalSeconds",
            "HealthyThresholdCount",
            "UnhealthyThresholdCount",
            "TargetType",
        )
        kwargs = {k: template[k] for k in keys if template.get(k) is not None}
        created = self._elb(region).call("create_target_group", resource=name, Name=name, **kwargs)[
            "TargetGroups"
        ][0]
        self._tgs.remember(region, created)
        return str(created["TargetGroupArn"])

    def _end_split(
        self, region: str, lbs: tuple[str, ...], groups: dict[str, dict[str, Any]]
    ) -> None:
        """Listeners back to the shared target groups; per-version ones detached."""
        shared = self._tgs.describe(region, lbs)
        for lb_name in lbs:
            self._forward(region, lb_name, {shared[lb_name]["TargetGroupArn"]: 1})
        asg = self._factory.client("autoscaling", region)
        shared_arns = {tg["TargetGroupArn"] for tg in shared.values()}
        for name, group in groups.items():
            extra = [
                a
                for a in group.get("TargetGroupARNs", [])
                if a not in shared_arns and name_of(a) == weight_target_group_name(name)
            ]
            if extra:
                asg.call(
                    "detach_load_balancer_target_groups",
                    resource=name,
                    AutoScalingGroupName=name,
                    TargetGroupARNs=extra,
                )

    def end_split_for(self, region: str, name: str) -> None:
        """Before an enable/disable: end any split on the group's load balancers. Decided from
        the cached group listing (no call at all when nothing is split, the common case)."""
        snapshot = self._groups.snapshot(region)
        me = snapshot.get(name)
        if me is None:
            return
        lbs = metadata.load_balancers(metadata.as_dict(me.get("Tags", [])))
        if not lbs:
            return
        peers = {
            n: g
            for n, g in snapshot.items()
            if set(metadata.load_balancers(metadata.as_dict(g.get("Tags", [])))) & set(lbs)
        }
        split = any(
            name_of(a) == weight_target_group_name(n)
            for n, g in peers.items()
            for a in g.get("TargetGroupARNs", [])
        )
        if split:
            self._end_split(region, lbs, self._describe(region, list(peers)))
            self._groups.invalidate(region)

    # -- get ---------------------------------------------------------------------------------------
    def get_weights(self, region: str, names: Sequence[str]) -> TrafficWeights:
        groups = self._describe(region, list(names))
        lbs = self._common_lbs(groups)
        peers = {
            n: g
            for n, g in self._groups.snapshot(region, fresh=True).items()
            if set(metadata.load_balancers(metadata.as_dict(g.get("Tags", [])))) & set(lbs)
        }
        peers.update(groups)
        by_weight_tg = {weight_target_group_name(n): n for n in peers}
        listeners = self._listeners(region, lbs[0])
        action = next(
            (
                a
                for x in listeners
                for a in x.get("DefaultActions", [])
                if a.get("Type") == "forward"
            ),
            None,
        )
        targets = (action or {}).get("ForwardConfig", {}).get("TargetGroups") or (
            [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}] if action else []
        )
        shares: dict[str, float] = dict.fromkeys(names, 0.0)
        split = [t for t in targets if name_of(t["TargetGroupArn"]) in by_weight_tg]
        if split:
            for t in split:
                shares[by_weight_tg[name_of(t["TargetGroupArn"])]] = float(t.get("Weight", 1))
        else:  # shared target group: traffic follows the enabled groups' instances
            for n, g in peers.items():
                if is_enabled(g) and set(g.get("TargetGroupARNs", [])):
                    shares[n] = float(g.get("DesiredCapacity", 0))
        shares = {n: s for n, s in shares.items() if n in names or s > 0}
        if sum(shares.values()) <= 0:
            raise Conflict(
                f"none of {', '.join(names)} receives traffic in {region}",
                provider="aws",
                account=self._account,
            )
        return TrafficWeights(weights=_percentages(shares))


def _percentages(shares: dict[str, float]) -> dict[str, int]:
    """Whole percentages summing to exactly 100 (largest remainder)."""
    total = sum(shares.values())
    exact = {g: 100 * s / total for g, s in shares.items()}
    floors = {g: math.floor(v) for g, v in exact.items()}
    for g in sorted(exact, key=lambda g: exact[g] - floors[g], reverse=True)[
        : 100 - sum(floors.values())
    ]:
        floors[g] += 1
    return floors
