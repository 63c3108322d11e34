"""Documented AWS rules a single request breaks, which neither botocore's model nor moto checks.

Each rule reads one request's parameters (the keyword arguments of the boto3 call) and names the
member and the documented limit it breaks; the sources are listed in tests/README.md (section
"Strict AWS target"). Rules that need the account's state (one load balancer per target group,
tags added to existing ones, what a suspended process does) live in ``strict_rules``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from support.aws.strict_model import Violation

MAX_TAGS = 50  # tags per resource: EC2, Auto Scaling, ELBv2 (their quota pages)
MAX_FORWARD_TARGET_GROUPS = 5  # target groups per forward action (ALB quotas)
MAX_HOPS = 64  # LaunchTemplateInstanceMetadataOptionsRequest (EC2 API reference)
MAX_WEIGHT = 999  # TargetGroupTuple.Weight (ELBv2 API reference)

Found = Iterator[tuple[str, str, str]]  # (member, rule, value)
Rule = Callable[[dict[str, Any]], Found]


def _tags(member: str, tags: Any) -> Found:
    if isinstance(tags, list | tuple) and len(tags) > MAX_TAGS:
        yield member, f"at most {MAX_TAGS} tags per resource", f"{len(tags)} tags"


def _tag_specifications(prefix: str, specs: Any) -> Found:
    for i, spec in enumerate(specs or []):
        yield from _tags(f"{prefix}[{i}].Tags", spec.get("Tags"))


def _create_launch_template(params: dict[str, Any]) -> Found:
    yield from _tag_specifications("TagSpecifications", params.get("TagSpecifications"))
    data = params.get("LaunchTemplateData") or {}
    yield from _tag_specifications(
        "LaunchTemplateData.TagSpecifications", data.get("TagSpecifications")
    )
    hops = (data.get("MetadataOptions") or {}).get("HttpPutResponseHopLimit")
    if hops is not None and not 1 <= hops <= MAX_HOPS:
        member = "LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit"
        yield member, f"range 1..{MAX_HOPS}", str(hops)
    interfaces = data.get("NetworkInterfaces") or []
    if interfaces and data.get("SecurityGroupIds"):
        yield (
            "LaunchTemplateData.SecurityGroupIds",
            "security groups go in the network interface when one is given",
            "",
        )


def _forward(path: str, action: dict[str, Any]) -> Found:
    if action.get("Type") != "forward":
        return
    config = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    if len(config) > MAX_FORWARD_TARGET_GROUPS:
        yield (
            f"{path}.ForwardConfig.TargetGroups",
            f"at most {MAX_FORWARD_TARGET_GROUPS} target groups per forward action",
            f"{len(config)}",
        )
    for i, target in enumerate(config):
        weight = target.get("Weight")
        if weight is not None and not 0 <= weight <= MAX_WEIGHT:
            member = f"{path}.ForwardConfig.TargetGroups[{i}].Weight"
            yield member, f"range 0..{MAX_WEIGHT}", str(weight)
    single = action.get("TargetGroupArn")
    if single and config and {t.get("TargetGroupArn") for t in config} != {single}:
        yield (
            f"{path}.TargetGroupArn",
            "TargetGroupArn and ForwardConfig must name the same single target group",
            "",
        )
    if not single and not config:
        yield path, "a forward action names a target group", ""


def _actions(params: dict[str, Any], key: str) -> Found:
    for i, action in enumerate(params.get(key) or []):
        yield from _forward(f"{key}[{i}]", action)


def _listener(params: dict[str, Any], key: str = "DefaultActions") -> Found:
    yield from _actions(params, key)
    if params.get("Protocol") in ("HTTPS", "TLS") and not params.get("Certificates"):
        yield (
            "Certificates",
            "HTTPS and TLS listeners take exactly one default certificate",
            "none given",
        )


def _create_listener(params: dict[str, Any]) -> Found:
    yield from _listener(params)
    yield from _tags("Tags", params.get("Tags"))


def _modify_listener(params: dict[str, Any]) -> Found:
    # A protocol change to HTTPS/TLS needs certificates unless the listener has them: the state
    # part is in strict_rules; here only the actions.
    yield from _actions(params, "DefaultActions")


def _rule(params: dict[str, Any]) -> Found:
    yield from _actions(params, "Actions")


_INSTANCE_SOURCES = (
    "LaunchConfigurationName",
    "LaunchTemplate",
    "MixedInstancesPolicy",
    "InstanceId",
)


def _create_auto_scaling_group(params: dict[str, Any]) -> Found:
    yield from _tags("Tags", params.get("Tags"))
    given = [k for k in _INSTANCE_SOURCES if params.get(k) is not None]
    if len(given) != 1:
        yield (
            "+".join(given) or "LaunchTemplate",
            "exactly one of LaunchConfigurationName, LaunchTemplate, MixedInstancesPolicy, "
            "InstanceId",
            "",
        )
    low, high = params.get("MinSize"), params.get("MaxSize")
    desired = params.get("DesiredCapacity")
    if low is not None and high is not None and low > high:
        yield "MinSize", "MinSize <= MaxSize", f"{low} > {high}"
    if desired is not None and low is not None and high is not None and not low <= desired <= high:
        yield "DesiredCapacity", "MinSize <= DesiredCapacity <= MaxSize", str(desired)


def _tags_only(params: dict[str, Any]) -> Found:
    yield from _tags("Tags", params.get("Tags"))


def _create_security_group(params: dict[str, Any]) -> Found:
    yield from _tag_specifications("TagSpecifications", params.get("TagSpecifications"))


RULES: dict[tuple[str, str], Rule] = {
    ("ec2", "CreateLaunchTemplate"): _create_launch_template,
    ("ec2", "CreateSecurityGroup"): _create_security_group,
    ("autoscaling", "CreateAutoScalingGroup"): _create_auto_scaling_group,
    ("autoscaling", "CreateOrUpdateTags"): _tags_only,
    ("elbv2", "CreateLoadBalancer"): _tags_only,
    ("elbv2", "CreateTargetGroup"): _tags_only,
    ("elbv2", "AddTags"): _tags_only,
    ("elbv2", "CreateListener"): _create_listener,
    ("elbv2", "ModifyListener"): _modify_listener,
    ("elbv2", "CreateRule"): _rule,
    ("elbv2", "ModifyRule"): _rule,
}


def request_violations(service: str, operation: str, params: dict[str, Any]) -> list[Violation]:
    """The documented rules (beyond the model) this request breaks."""
    rule = RULES.get((service, operation))
    if rule is None:
        return []
    return [
        Violation(service, operation, member, text, value, source="AWS documentation")
        for member, text, value in rule(params)
    ]
