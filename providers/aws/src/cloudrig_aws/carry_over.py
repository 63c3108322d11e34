"""What a new version inherits from the previous one of its cluster (as Clouddriver does): its
lifecycle hooks, scaling policies and scheduled actions.

The previous version is the cluster's group (same ``cloudrig:app/stack/detail`` tags) with the
highest sequence below the new one, read from the cached group listing. Lifecycle hooks go into
the create call itself (``LifecycleHookSpecificationList``) so the first instances already pass
through them; policies and scheduled actions are put right after the create. Policies whose
alarms belong to the old group (step and simple scaling) are copied without them — CloudWatch
alarms name one group; target tracking creates its own. Without a previous version: no call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudrig.provider import ServerGroupMetadata
from cloudrig_aws import metadata
from cloudrig_aws.clients import AwsClient

_HOOK_KEYS = (
    "LifecycleHookName",
    "LifecycleTransition",
    "NotificationMetadata",
    "HeartbeatTimeout",
    "DefaultResult",
    "NotificationTargetARN",
    "RoleARN",
)
_POLICY_KEYS = (
    "PolicyName",
    "PolicyType",
    "AdjustmentType",
    "MinAdjustmentStep",
    "MinAdjustmentMagnitude",
    "ScalingAdjustment",
    "Cooldown",
    "MetricAggregationType",
    "StepAdjustments",
    "EstimatedInstanceWarmup",
    "TargetTrackingConfiguration",
    "PredictiveScalingConfiguration",
    "Enabled",
)
_SCHEDULE_KEYS = (
    "ScheduledActionName",
    "StartTime",
    "EndTime",
    "Recurrence",
    "MinSize",
    "MaxSize",
    "DesiredCapacity",
    "TimeZone",
)


def _given(described: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The input members of a described item that are set (describes answer empty structures
    for what a put must leave out, e.g. ``PredictiveScalingConfiguration`` of other types)."""
    return {k: described[k] for k in keys if described.get(k) not in (None, {}, [], "")}


def previous_version(
    groups: dict[str, dict[str, Any]], meta: ServerGroupMetadata, name: str
) -> str | None:
    """The name of the cluster's newest group older than ``meta``'s, if any."""
    best: tuple[int, str] | None = None
    for other, group in groups.items():
        if other == name or group.get("Status") == "Delete in progress":
            continue
        found = metadata.from_tags(metadata.as_dict(group.get("Tags", [])))
        if found is None or found.moniker.cluster != meta.moniker.cluster:
            continue
        sequence = found.moniker.sequence or 0
        if sequence < (meta.moniker.sequence or 0) and (best is None or sequence > best[0]):
            best = (sequence, other)
    return best[1] if best else None


def lifecycle_hooks(asg: AwsClient, previous: str) -> list[dict[str, Any]]:
    """The previous group's hooks as ``LifecycleHookSpecificationList`` entries."""
    hooks = asg.call("describe_lifecycle_hooks", AutoScalingGroupName=previous, resource=previous)[
        "LifecycleHooks"
    ]
    return [_given(h, _HOOK_KEYS) for h in hooks]


def copy_scaling(asg: AwsClient, previous: str, name: str) -> None:
    """Put the previous group's scaling policies and scheduled actions on ``name``."""
    policies = asg.pages("describe_policies", "ScalingPolicies", AutoScalingGroupName=previous)
    for policy in policies:
        asg.call(
            "put_scaling_policy",
            resource=name,
            AutoScalingGroupName=name,
            **_given(policy, _POLICY_KEYS),
        )
    actions = asg.pages(
        "describe_scheduled_actions",
        "ScheduledUpdateGroupActions",
        AutoScalingGroupName=previous,
    )
    now = datetime.now(UTC)
    for action in actions:
        start = action.get("StartTime")
        if start is not None and start <= now:
            if not action.get("Recurrence"):
                continue  # a one-time action already done: AWS refuses a start in the past
            action = {k: v for k, v in action.items() if k != "StartTime"}
        asg.call(
            "put_scheduled_update_group_action",
            resource=name,
            AutoScalingGroupName=name,
            **_given(action, _SCHEDULE_KEYS),
        )
