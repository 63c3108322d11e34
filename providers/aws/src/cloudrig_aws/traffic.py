"""Exact traffic splits: ALB weighted forward actions over per-version target groups.

Normally the groups of a cluster share their load balancer's target group and traffic follows
their instances (``server_groups``): the split is read as each enabled group's share of the
desired instances. ``set_weights`` with two or more groups above 0 switches the load
balancer to an exact split: each named group gets a target group of its own per load balancer
(``w-…``, created from that load balancer's shared one's settings and attached to its Auto
Scaling group: a target group serves one load balancer) and the cluster's forward actions —
listener defaults and rules whose target groups are all the cluster's, on the listeners the
load balancer's settings select (``listeners``) — forward to those with the given weights (ALB:
at most 5 target groups per forward action); redirects and other forwards are left alone.
After any ``set_weights`` the cluster's groups behind those load balancers are enabled exactly
when their weight is above 0 (groups left out count as 0).

A split that gives one group everything — and any enable/disable of a group on a split load
balancer — ends the split: the cluster's forwards go to the shared target group again and the
per-version ones are detached (``server_groups.destroy`` deletes them with their group).
Everything is decided from the one cached group listing; the listeners (and their rules) are
read only while a split is active. Network load balancers forward to one target
group per listener: they take only splits that give one group everything.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cloudrig import Conflict, InvalidSpec, NotFound, TrafficWeights
from cloudrig.provider import Traffic
from cloudrig_aws import listeners, metadata
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.naming import weight_target_group_name
from cloudrig_aws.target_groups import TargetGroups, name_of

if TYPE_CHECKING:
    from cloudrig_aws.server_groups import AwsServerGroups

MAX_WEIGHTED = 5
ADD_TO_LB = "AddToLoadBalancer"
# What disable suspends (and enable resumes), README "Enable/disable": AddToLoadBalancer keeps
# scaling from putting instances back into traffic; AlarmNotification and ScheduledActions keep
# the scaling policies and scheduled actions a version inherited from resizing it while it is
# out of traffic. Launch and Terminate stay on (unlike Clouddriver): a disabled group keeps
# replacing unhealthy instances (warm for a rollback) and can be scaled down.
DISABLE_SUSPENDS = (ADD_TO_LB, "AlarmNotification", "ScheduledActions")
Groups = dict[str, dict[str, Any]]


def is_suspended(group: dict[str, Any]) -> bool:
    """``AddToLoadBalancer`` is suspended: scaling puts no new instance into traffic."""
    return ADD_TO_LB in {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}


def is_enabled(group: dict[str, Any]) -> bool:
    """In traffic. Behind load balancers: attached to a target group other than its own
    per-version one (a group at weight 0 in a split keeps only that one), whatever the
    suspension says; behind none: ``AddToLoadBalancer`` not suspended.

    Read from the attachment because that is where the traffic is, and because it is the last
    call of both two-call operations (disable suspends, then detaches; enable resumes, then
    attaches): a worker killed between the two leaves a group that still reads the way it was —
    half-disabled (suspended, still attached, its instances still registered) reads enabled,
    half-enabled (resumed, not attached) reads disabled — so the resumed deployment makes the
    same call again and ``apply_enabled`` finishes it."""
    if not _lbs(group):
        return not is_suspended(group)
    own = _own(group)
    return any(name_of(arn) not in own for arn in group.get("TargetGroupARNs", []))


def _own(group: dict[str, Any]) -> set[str]:
    """The names of the group's per-version target groups (one per load balancer)."""
    name = group["AutoScalingGroupName"]
    return {weight_target_group_name(name, lb) for lb in _lbs(group)}


def _lbs(group: dict[str, Any]) -> tuple[str, ...]:
    return metadata.load_balancers(metadata.as_dict(group.get("Tags", [])))


def _cluster(group: dict[str, Any]) -> tuple[str, str, str]:
    tags = metadata.as_dict(group.get("Tags", []))
    return (tags.get(metadata.APP, ""), tags.get(metadata.STACK, ""), tags.get(metadata.DETAIL, ""))


def _split_active(peers: Groups) -> bool:
    return any(
        name_of(arn) in _own(g) for g in peers.values() for arn in g.get("TargetGroupARNs", [])
    )


class AwsTraffic(Traffic):
    """Weights over the groups of ``groups`` (which builds this noun and calls ``end_split_for``
    before each enable and disable)."""

    def __init__(self, factory: ClientFactory, tgs: TargetGroups, groups: AwsServerGroups) -> None:
        self._factory = factory
        self._tgs = tgs
        self._groups = groups
        self._account = factory.account
        self._lbs: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _elb(self, region: str) -> Any:
        return self._factory.client("elbv2", region)

    # -- reading the cluster -----------------------------------------------------------------------
    def _groups_and_peers(
        self, region: str, names: Sequence[str], *, fresh: bool
    ) -> tuple[Groups, tuple[str, ...], Groups]:
        """The named groups, their (common) load balancers, and every group of their clusters
        behind those load balancers (the named ones included)."""
        snapshot = self._groups.snapshot(region, fresh=fresh)
        groups: Groups = {}
        for name in names:
            groups[name] = snapshot.get(name) or self._groups.describe(region, name, fresh=True)
        sets = {_lbs(g) for g in groups.values()}
        if len(sets) != 1 or not next(iter(sets)):
            raise InvalidSpec(
                "traffic weights need server groups behind the same load balancers "
                f"({', '.join(names)})",
                provider="aws",
                account=self._account,
            )
        lbs = next(iter(sets))
        clusters = {_cluster(g) for g in groups.values()}
        peers = {
            n: dict(g)  # copies: the split code notes its attachments in them
            for n, g in snapshot.items()
            if set(_lbs(g)) & set(lbs) and _cluster(g) in clusters
        }
        return groups, lbs, {**{n: dict(g) for n, g in groups.items()}, **peers}

    def _load_balancer(self, region: str, name: str) -> dict[str, Any]:
        """ARN and type of a load balancer by name, remembered (both are fixed for its life)."""
        with self._lock:
            known = self._lbs.get((region, name))
        if known is None:
            found = self._elb(region).call("describe_load_balancers", Names=[name], resource=name)
            known = found["LoadBalancers"][0]
            with self._lock:
                self._lbs[(region, name)] = known
        return known

    def _ports(self, region: str, lb_name: str) -> tuple[int, ...]:
        """The listener ports the split moves (the load balancer's settings, kept in a tag)."""
        known = self._load_balancer(region, lb_name)
        if "ports" not in known:
            arn = known["LoadBalancerArn"]
            found = self._elb(region).call("describe_tags", ResourceArns=[arn], resource=lb_name)
            tags = found["TagDescriptions"][0]["Tags"] if found["TagDescriptions"] else []
            with self._lock:
                known["ports"] = listeners.ports_of(tags)
        return tuple(known["ports"])

    def _ours(self, region: str, lb_name: str, peers: Groups) -> set[str]:
        """The cluster's target group ARNs on this load balancer: its shared one and every
        per-version one a group of the cluster has (known to this process or attached)."""
        shared = self._tgs.arns(region, [lb_name])
        names = {weight_target_group_name(n, lb_name) for n in peers}
        attached = {a for g in peers.values() for a in g.get("TargetGroupARNs", [])}
        return {
            *shared,
            *(a for a in attached if name_of(a) in names),
            *self._tgs.known(region, names),
        }

    def _forward(self, region: str, lb_name: str, targets: dict[str, int], peers: Groups) -> None:
        """Point the cluster's forward actions on the load balancer at ``{ARN: weight}``."""
        listeners.point(
            self._elb(region),
            self._load_balancer(region, lb_name)["LoadBalancerArn"],
            lb_name,
            self._ports(region, lb_name),
            self._ours(region, lb_name, peers) | set(targets),
            targets,
        )

    # -- set ---------------------------------------------------------------------------------------
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        wanted = dict(weights.weights)
        if len(wanted) > MAX_WEIGHTED:
            raise InvalidSpec(
                f"an ALB forward action splits over at most {MAX_WEIGHTED} server groups, got "
                f"{len(wanted)}",
                provider="aws",
                account=self._account,
            )
        _, lbs, peers = self._groups_and_peers(region, list(wanted), fresh=True)
        positive = [g for g, w in wanted.items() if w > 0]
        try:
            if len(positive) > 1:
                self._split(region, lbs, {n: peers[n] for n in wanted}, wanted, peers)
            elif _split_active(peers):
                self._end_split(region, lbs, peers)
            for name, group in peers.items():
                self._groups.apply_enabled(region, group, wanted.get(name, 0) > 0)
        finally:
            self._groups.invalidate(region)

    def _split(
        self,
        region: str,
        lbs: tuple[str, ...],
        groups: Groups,
        wanted: dict[str, int],
        peers: Groups,
    ) -> None:
        for lb_name in lbs:
            if self._load_balancer(region, lb_name).get("Type") == "network":
                raise InvalidSpec(
                    f"load balancer {lb_name!r} is a network load balancer: it forwards to one "
                    "server group at a time",
                    provider="aws",
                    account=self._account,
                )
        shared = self._tgs.describe(region, lbs)
        arns: dict[tuple[str, str], str] = {}
        asg = self._factory.client("autoscaling", region)
        for name, group in groups.items():
            for lb_name in lbs:
                arns[(name, lb_name)] = self._weight_target_group(
                    region, name, lb_name, shared[lb_name]
                )
            missing = [
                arns[(name, lb)]
                for lb in lbs
                if arns[(name, lb)] not in group.get("TargetGroupARNs", [])
            ]
            if missing:
                asg.call(
                    "attach_load_balancer_target_groups",
                    resource=name,
                    AutoScalingGroupName=name,
                    TargetGroupARNs=missing,
                )
                group["TargetGroupARNs"] = [*group.get("TargetGroupARNs", []), *missing]
        for lb_name in lbs:
            targets = {arns[(g, lb_name)]: w for g, w in wanted.items()}
            self._forward(region, lb_name, targets, peers)

    def _weight_target_group(
        self, region: str, group: str, lb_name: str, template: dict[str, Any]
    ) -> str:
        """The group's own target group on one load balancer, created from that load balancer's
        shared one's settings when missing (CreateTargetGroup with the same name and settings is
        idempotent on AWS)."""
        name = weight_target_group_name(group, lb_name)
        with contextlib.suppress(NotFound):
            return self._tgs.arns(region, [name])[0]
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
        answer = self._elb(region).call("create_target_group", resource=name, Name=name, **kwargs)
        created = answer["TargetGroups"][0]
        self._tgs.remember(region, created)
        return str(created["TargetGroupArn"])

    def _end_split(self, region: str, lbs: tuple[str, ...], peers: Groups) -> None:
        """Listeners back to the shared target groups; per-version ones detached."""
        shared = self._tgs.describe(region, lbs)
        for lb_name in lbs:
            self._forward(region, lb_name, {shared[lb_name]["TargetGroupArn"]: 1}, peers)
        asg = self._factory.client("autoscaling", region)
        for name, group in peers.items():
            own = [a for a in group.get("TargetGroupARNs", []) if name_of(a) in _own(group)]
            if own:
                asg.call(
                    "detach_load_balancer_target_groups",
                    resource=name,
                    AutoScalingGroupName=name,
                    TargetGroupARNs=own,
                )
                group["TargetGroupARNs"] = [a for a in group["TargetGroupARNs"] if a not in own]

    def end_split_for(self, region: str, name: str) -> None:
        """Before an enable/disable: end any split on the group's load balancers (no call at
        all when nothing is split, the common case)."""
        me = self._groups.snapshot(region).get(name)
        if me is None or not _lbs(me):
            return
        _, lbs, peers = self._groups_and_peers(region, [name], fresh=False)
        if _split_active(peers):
            _, lbs, peers = self._groups_and_peers(region, [name], fresh=True)
            self._end_split(region, lbs, peers)
            self._groups.invalidate(region)

    # -- get ---------------------------------------------------------------------------------------
    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        """The named groups' shares, and any other group of their clusters that has traffic."""
        _, lbs, peers = self._groups_and_peers(region, server_groups, fresh=False)
        shares: dict[str, float] = dict.fromkeys(server_groups, 0.0)
        if _split_active(peers):
            lb_name = lbs[0]
            by_target = {weight_target_group_name(n, lb_name): n for n in peers}
            found = listeners.weights(
                self._elb(region),
                self._load_balancer(region, lb_name)["LoadBalancerArn"],
                lb_name,
                self._ports(region, lb_name),
                self._ours(region, lb_name, peers),
            )
            for arn, weight in found.items():
                group = by_target.get(name_of(arn))
                if group is not None:
                    shares[group] = float(weight)
        else:  # the shared target group: traffic follows the enabled groups' instances
            shared = set(self._tgs.arns(region, lbs))
            for n, g in peers.items():
                if is_enabled(g) and shared & set(g.get("TargetGroupARNs", [])):
                    shares[n] = float(g.get("DesiredCapacity", 0))
        shares = {n: s for n, s in shares.items() if n in server_groups or s > 0}
        if sum(shares.values()) <= 0:
            raise Conflict(
                f"none of {', '.join(server_groups)} receives traffic in {region}",
                provider="aws",
                account=self._account,
            )
        return TrafficWeights(weights=_percentages(shares))


def _percentages(shares: dict[str, float]) -> dict[str, int]:
    """Whole percentages summing to exactly 100 (largest remainder)."""
    total = sum(shares.values())
    exact = {g: 100 * s / total for g, s in shares.items()}
    floors = {g: math.floor(v) for g, v in exact.items()}
    by_remainder = sorted(exact, key=lambda g: exact[g] - floors[g], reverse=True)
    for g in by_remainder[: 100 - sum(floors.values())]:
        floors[g] += 1
    return floors
