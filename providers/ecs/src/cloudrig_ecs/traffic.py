"""Traffic: the weights of a load balancer's listener over per-version target groups.

A group behind a load balancer is enabled exactly when its target group has a weight above 0
there. Every change is one ``ModifyListener`` (atomic: the core's rollback is one switch). The
forward action takes at most 5 target groups (ALB's limit), disabled ones (weight 0) included;
the load balancer's own target group joins with weight 1 only when no version has any.

Reads go through the limiter's short read cache (every group of a cluster reads the same
listener on each poll); the reads that decide a write are fresh. ``ModifyListener`` answers with
the listener as it now is: that answer is put into the cache, so nothing re-describes it.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudrig import Conflict
from cloudrig_ecs.load_balancers import EcsLoadBalancers, forward

MAX_GROUPS = 5


class ListenerWeights:
    def __init__(self, load_balancers: EcsLoadBalancers) -> None:
        self._lbs = load_balancers

    def read(self, region: str, lb: str, fresh: bool = False) -> dict[str, int]:
        """Target group ARN → weight, the template excluded."""
        info, elb = self._lbs.info(region, lb), self._lbs.elb(region)
        first = info.listener_arns[0]
        listener = elb.read(
            ("listener", first),
            lambda: elb.call("describe_listeners", resource=lb, ListenerArns=[first])["Listeners"][
                0
            ],
            fresh=fresh,
        )
        weights: dict[str, int] = {}
        for action in listener.get("DefaultActions", []):
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
            if groups is None and action.get("TargetGroupArn"):
                groups = [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
            for group in groups or []:
                weights[group["TargetGroupArn"]] = int(group.get("Weight", 1))
        weights.pop(info.template_arn, None)
        return weights

    def write(self, region: str, lb: str, weights: Mapping[str, int]) -> None:
        if len(weights) > MAX_GROUPS:
            raise Conflict(
                f"{len(weights)} server groups behind {lb}: an ALB forward action takes "
                f"{MAX_GROUPS}; destroy older groups first",
                resource=lb,
            )
        info = self._lbs.info(region, lb)
        everything = dict(weights)
        if not any(everything.values()):
            if len(everything) >= MAX_GROUPS:
                raise Conflict(f"no room for {lb}'s own target group", resource=lb)
            everything[info.template_arn] = 1
        elb = self._lbs.elb(region)
        for arn in info.listener_arns:  # the first one last: it is the one read back
            key = ("listener", arn)
            elb.invalidate(key)  # no answer loaded before the write serves this caller after it
        for arn in reversed(info.listener_arns):
            key = ("listener", arn)
            try:
                answer = elb.call(
                    "modify_listener",
                    resource=lb,
                    ListenerArn=arn,
                    DefaultActions=[forward(everything)],
                )
            except BaseException:
                elb.invalidate(key)  # the outcome is unknown: the next read asks the cloud
                raise
            listeners = answer.get("Listeners") or []
            if listeners:
                elb.put(key, listeners[0])
            else:
                elb.invalidate(key)
