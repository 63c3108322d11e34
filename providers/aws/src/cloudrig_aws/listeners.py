"""The forward actions of a load balancer that carry a cluster's traffic, and only those.

A weighted split rewrites the forward actions — a listener's default action or a rule's — whose
target groups all belong to the cluster (its load balancer's shared target group and the
per-version ones); a redirect, a fixed response, a forward to someone else's target group and
every rule that does not forward to the cluster stay exactly as they are. The listeners
considered are those on the ports the load balancer's settings name (``traffic_listeners``,
kept in the load balancer's tag ``cloudrig:traffic-listeners``), else all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudrig_aws.clients import AwsClient

TRAFFIC_LISTENERS_TAG = "cloudrig:traffic-listeners"


def ports_tag(ports: tuple[int, ...]) -> str:
    return "+".join(str(p) for p in sorted(ports))


def ports_of(tags: list[dict[str, str]]) -> tuple[int, ...]:
    value = next((t["Value"] for t in tags if t["Key"] == TRAFFIC_LISTENERS_TAG), "")
    return tuple(int(p) for p in value.split("+") if p.isdigit())


def forwarded(action: dict[str, Any]) -> set[str]:
    """The target group ARNs a forward action sends to (empty for any other action)."""
    if action.get("Type") != "forward":
        return set()
    arns = {t["TargetGroupArn"] for t in action.get("ForwardConfig", {}).get("TargetGroups", [])}
    if action.get("TargetGroupArn"):
        arns.add(action["TargetGroupArn"])
    return arns


def forward_action(targets: dict[str, int], order: int | None = None) -> dict[str, Any]:
    """A forward to one target group, or weighted over several."""
    if len(targets) == 1:
        action: dict[str, Any] = {"Type": "forward", "TargetGroupArn": next(iter(targets))}
    else:
        weighted = [{"TargetGroupArn": arn, "Weight": w} for arn, w in targets.items()]
        action = {"Type": "forward", "ForwardConfig": {"TargetGroups": weighted}}
    if order is not None:
        action["Order"] = order
    return action


def _rewritten(
    actions: list[dict[str, Any]], ours: set[str], targets: dict[str, int]
) -> list[dict[str, Any]] | None:
    """The actions with the cluster's forwards replaced; ``None`` when none is the cluster's or
    nothing would change."""
    out, changed = [], False
    for action in actions:
        arns = forwarded(action)
        if arns and arns <= ours:
            new = forward_action(targets, action.get("Order"))
            changed = changed or forwarded(new) != arns or _weights(action) != _weights(new)
            out.append(new)
        else:
            out.append(_as_input(action))
    return out if changed else None


def _weights(action: dict[str, Any]) -> dict[str, int]:
    config = action.get("ForwardConfig", {}).get("TargetGroups", [])
    if config:
        return {t["TargetGroupArn"]: int(t.get("Weight", 1)) for t in config}
    return {action.get("TargetGroupArn", ""): 1}


def _as_input(action: dict[str, Any]) -> dict[str, Any]:
    """A described action as ModifyListener/ModifyRule take it back (a described forward carries
    both ``TargetGroupArn`` and ``ForwardConfig``; either alone says it)."""
    if action.get("Type") == "forward" and action.get("ForwardConfig"):
        return {k: v for k, v in action.items() if k != "TargetGroupArn"}
    return dict(action)


def listeners(elb: AwsClient, lb_arn: str, lb_name: str, ports: tuple[int, ...]) -> list[Any]:
    answer = elb.call("describe_listeners", LoadBalancerArn=lb_arn, resource=lb_name)
    found: list[dict[str, Any]] = answer["Listeners"]
    return [x for x in found if not ports or x["Port"] in ports]


def rules(elb: AwsClient, listener_arn: str, lb_name: str) -> Iterator[dict[str, Any]]:
    answer = elb.call("describe_rules", ListenerArn=listener_arn, resource=lb_name)
    yield from (r for r in answer["Rules"] if not r.get("IsDefault"))


def point(
    elb: AwsClient,
    lb_arn: str,
    lb_name: str,
    ports: tuple[int, ...],
    ours: set[str],
    targets: dict[str, int],
) -> None:
    """Make the cluster's forward actions on this load balancer send to ``targets``
    (``{target group ARN: weight}``); ``ours`` are the cluster's target group ARNs here."""
    for listener in listeners(elb, lb_arn, lb_name, ports):
        new = _rewritten(listener.get("DefaultActions", []), ours, targets)
        if new is not None:
            elb.call(
                "modify_listener",
                resource=lb_name,
                ListenerArn=listener["ListenerArn"],
                DefaultActions=new,
            )
        for rule in rules(elb, listener["ListenerArn"], lb_name):
            new = _rewritten(rule.get("Actions", []), ours, targets)
            if new is not None:
                elb.call("modify_rule", resource=lb_name, RuleArn=rule["RuleArn"], Actions=new)


def weights(
    elb: AwsClient, lb_arn: str, lb_name: str, ports: tuple[int, ...], ours: set[str]
) -> dict[str, int]:
    """``{target group ARN: weight}`` of the first forward of the cluster's (default actions
    first, then rules); empty when none."""
    found = listeners(elb, lb_arn, lb_name, ports)
    for listener in found:
        for action in listener.get("DefaultActions", []):
            if forwarded(action) and forwarded(action) <= ours:
                return _weights(action)
    for listener in found:
        for rule in rules(elb, listener["ListenerArn"], lb_name):
            for action in rule.get("Actions", []):
                if forwarded(action) and forwarded(action) <= ours:
                    return _weights(action)
    return {}
