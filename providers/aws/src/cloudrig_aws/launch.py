"""Creating a server group: its launch template, then its Auto Scaling group, idempotently.

Both carry the metadata tags (moniker, deployment id, artifact, load balancers, security groups)
in the create calls themselves. Meeting either one already there: ours (same moniker and
deployment id) is returned, or finished when only the template exists (a worker that crashed
between the two calls); anything else is a ``Conflict``, never adopted. The launch template's
``ClientToken`` is derived from (name, deployment id), so a retried create is the same request.

The group is placed in explicit subnets (``placement``), its launch template carries the day-one
options (``launch_template``), and it inherits the previous version's lifecycle hooks, scaling
policies and scheduled actions (``carry_over``). ``CreateAutoScalingGroup`` is retried while
AWS does not yet see a launch template or instance profile created a moment before, looking for
the group before each retry.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from cloudrig import Conflict, InvalidSpec, NotFound, ServerGroup
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_aws import carry_over, metadata, user_data
from cloudrig_aws.clients import AwsClient, ClientFactory
from cloudrig_aws.launch_template import instance_choice, template_data
from cloudrig_aws.naming import load_balancer_name, security_group_name
from cloudrig_aws.placement import place
from cloudrig_aws.settings import AwsServerGroupSettings
from cloudrig_aws.target_groups import TargetGroups

if TYPE_CHECKING:
    from cloudrig_aws.server_groups import AwsServerGroups

Request = CreateServerGroup[AwsServerGroupSettings]
MAX_TAGS = 50  # tags per resource: Auto Scaling group, launch template, instance
CONSISTENCY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds between CreateAutoScalingGroup attempts
# What AWS answers while a launch template or instance profile created a moment ago is not yet
# visible to Auto Scaling (Clouddriver retries the same).
_NOT_YET_VISIBLE = re.compile(
    r"launch template.*(not found|does not exist)|instance profile|iamInstanceProfile",
    re.IGNORECASE,
)


def _not_yet_visible(message: str) -> bool:
    return _NOT_YET_VISIBLE.search(message) is not None


def _client_token(request: Request) -> str:
    """Deterministic per (name, deployment): a retried CreateLaunchTemplate is the same request."""
    raw = f"{request.name}\0{request.metadata.deployment_id or ''}".encode()
    return hashlib.sha256(raw).hexdigest()[:64]


def _tag_list(tags: dict[str, str], **extra: Any) -> list[dict[str, Any]]:
    return [{"Key": k, "Value": v, **extra} for k, v in tags.items()]


class Launcher:
    def __init__(self, factory: ClientFactory, tgs: TargetGroups, groups: AwsServerGroups) -> None:
        self._factory = factory
        self._tgs = tgs
        self._groups = groups
        self._account = factory.account

    def create(self, request: Request) -> ServerGroup:
        """Launch template, then Auto Scaling group, both carrying the metadata tags. Meeting
        either one already there: ours (same moniker and deployment id) is returned or finished,
        anything else is a ``Conflict`` — never adopted."""
        spec, name, region = request.spec, request.name, request.spec.region
        settings = request.settings
        lb_names = [load_balancer_name(n) for n in spec.load_balancers]
        tags = metadata.to_tags(
            request.metadata, spec.tags, lb_names, spec.artifact, spec.security_groups
        )
        try:
            tg_arns = self._tgs.arns(region, lb_names) if lb_names else []
        except NotFound as exc:
            raise InvalidSpec(
                f"load balancers: {exc}; upsert them before deploying behind them",
                provider="aws",
                account=self._account,
                resource=name,
            ) from exc
        if len(tags) > MAX_TAGS:
            raise InvalidSpec(
                f"{len(tags)} tags (cloudrig's {len(tags) - len(spec.tags)} and the spec's "
                f"{len(spec.tags)}): AWS allows {MAX_TAGS} per resource",
                provider="aws",
                account=self._account,
                resource=name,
            )
        where = place(self._factory, region, settings.subnets, spec.zones)
        ec2 = self._factory.client("ec2", region)
        sg_ids = (
            self._security_group_ids(region, where.vpc_id, spec.security_groups)
            if spec.security_groups
            else []
        )
        data = template_data(
            settings,
            image_id=spec.artifact,
            security_group_ids=sg_ids,
            user_data=user_data.render(spec.user_data, spec.environment),
            instance_tags=_tag_list(tags),
        )
        try:
            ec2.call(
                "create_launch_template",
                resource=name,
                LaunchTemplateName=name,
                ClientToken=_client_token(request),
                LaunchTemplateData=data,
                TagSpecifications=[{"ResourceType": "launch-template", "Tags": _tag_list(tags)}],
            )
        except Conflict:
            existing = self._existing(request)
            if existing is not None:
                # A create sent again after a crash: the group is there, its inherited scaling
                # may not be (puts overwrite by name, so copying again is harmless).
                previous = self._previous(request)
                if previous:
                    carry_over.copy_scaling(
                        self._factory.client("autoscaling", region), previous, name
                    )
                return existing
        asg = self._factory.client("autoscaling", region)
        previous = self._previous(request)
        hooks = carry_over.lifecycle_hooks(asg, previous) if previous else []
        arguments: dict[str, Any] = {
            "AutoScalingGroupName": name,
            "MinSize": spec.capacity.min,
            "MaxSize": spec.capacity.max,
            "DesiredCapacity": spec.capacity.desired,
            "TargetGroupARNs": tg_arns,
            "HealthCheckType": settings.health_check_type,
            "HealthCheckGracePeriod": settings.health_check_grace_period,
            "VPCZoneIdentifier": ",".join(where.subnets),
            "Tags": _tag_list(
                tags, PropagateAtLaunch=False, ResourceId=name, ResourceType="auto-scaling-group"
            ),
            **instance_choice(settings, name),
        }
        if hooks:
            arguments["LifecycleHookSpecificationList"] = hooks
        try:
            existing = self._create_group(request, asg, arguments)
            if existing is not None:
                return existing
            if previous:
                carry_over.copy_scaling(asg, previous, name)
        finally:
            self._groups.invalidate(region)
            self._tgs.invalidate_health(region, tg_arns)
        # What the create said is what exists: no describe needed (instances come later).
        return ServerGroup(
            name=name,
            moniker=request.metadata.moniker,
            account=self._account,
            region=region,
            zones=where.zones,
            capacity=spec.capacity,
            enabled=True,
            created_at=datetime.now(UTC),
            artifact=spec.artifact,
            load_balancers=tuple(lb_names),
            security_groups=tuple(spec.security_groups),
            deployment_id=request.metadata.deployment_id,
            tags=dict(spec.tags),
        )

    def _existing(self, request: Request) -> ServerGroup | None:
        """The group (or the launch template a crashed create left) if it is ours; ``None``
        when only our launch template exists (the create goes on); else ``Conflict``."""
        region, name = request.spec.region, request.name
        wanted = (request.metadata.moniker, request.metadata.deployment_id)
        try:
            group = self._groups.describe(region, name, fresh=True)
        except NotFound:
            group = None
        if group is not None:
            found = metadata.from_tags(metadata.as_dict(group.get("Tags", [])))
            if found is not None and (found.moniker, found.deployment_id) == wanted:
                return self._groups.to_model(region, group, with_target_health=False)
            self._conflict(request, found)
        ec2 = self._factory.client("ec2", region)
        templates = ec2.call(
            "describe_launch_templates", LaunchTemplateNames=[name], resource=name
        )["LaunchTemplates"]
        found = (
            metadata.from_tags(metadata.as_dict(templates[0].get("Tags", [])))
            if templates
            else None
        )
        if found is not None and (found.moniker, found.deployment_id) == wanted:
            return None
        self._conflict(request, found)

    def _conflict(self, request: Request, found: ServerGroupMetadata | None) -> NoReturn:
        who = (
            (
                f"moniker {found.moniker.cluster!r} v{found.moniker.sequence}, deployment "
                f"{found.deployment_id!r}"
            )
            if found
            else "not created by cloudrig"
        )
        raise Conflict(
            f"server group {request.name!r} already exists in {request.spec.region} "
            f"with another identity ({who}); it is not adopted",
            provider="aws",
            account=self._account,
            resource=request.name,
        )

    def _previous(self, request: Request) -> str | None:
        """The version this one inherits from (``carry_over``), unless told not to."""
        if not request.settings.inherit_scaling:
            return None
        groups = self._groups.snapshot(request.spec.region)
        return carry_over.previous_version(groups, request.metadata, request.name)

    def _create_group(
        self, request: Request, asg: AwsClient, arguments: dict[str, Any]
    ) -> ServerGroup | None:
        """CreateAutoScalingGroup, retried while AWS has not yet seen the launch template or
        instance profile created just before (eventual consistency); before each retry the
        group is looked up, so a create that did land is never sent twice. Returns the group
        when it already exists as ours."""
        name = request.name
        for delay in (*CONSISTENCY_DELAYS, None):
            try:
                asg.call("create_auto_scaling_group", resource=name, **arguments)
                return None
            except Conflict:
                existing = self._existing(request)
                if existing is not None:
                    return existing
                raise
            except (InvalidSpec, NotFound) as exc:
                if delay is None or not _not_yet_visible(str(exc)):
                    raise
            time.sleep(delay)
            self._groups.invalidate(request.spec.region)
            with contextlib.suppress(NotFound):
                existing = self._existing(request)
                if existing is not None:
                    return existing
        return None  # unreachable: the last attempt returns or raises

    def _security_group_ids(self, region: str, vpc_id: str, names: Iterable[str]) -> list[str]:
        wanted = [n if n.startswith("sg-") else security_group_name(n) for n in names]
        ids = [n for n in wanted if n.startswith("sg-")]
        by_name = [n for n in wanted if not n.startswith("sg-")]
        if by_name:
            ec2 = self._factory.client("ec2", region)
            found = ec2.call(
                "describe_security_groups",
                resource=",".join(by_name),
                Filters=[
                    {"Name": "group-name", "Values": by_name},
                    {"Name": "vpc-id", "Values": [vpc_id]},
                ],
            )
            got = {g["GroupName"]: g["GroupId"] for g in found["SecurityGroups"]}
            absent = [n for n in by_name if n not in got]
            if absent:
                raise InvalidSpec(
                    f"security groups {', '.join(absent)} do not exist in {vpc_id} ({region})",
                    provider="aws",
                    account=self._account,
                )
            ids += [got[n] for n in by_name]
        return ids
