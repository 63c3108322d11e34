"""Server groups: one Auto Scaling group + one launch template per version, same name.

Reads: one ``DescribeAutoScalingGroups`` per region lists every cloudrig group (filtered on the
``cloudrig:app`` tag key) and goes through the limiter's short read cache with coalescing, so N
deployments polling in one process make one describe per poll; every mutation this provider makes
invalidates it, and decision reads (enable, disable, destroy, create's conflict check) are fresh.

Enable/disable (the Clouddriver way, docs/architecture.md §4): a disabled group is detached from
its load balancers' target groups (its targets deregister and drain; instances keep running) and
has ``AddToLoadBalancer``, ``AlarmNotification`` and ``ScheduledActions`` suspended
(``traffic.DISABLE_SUSPENDS``): scaling cannot put instances back into traffic, and inherited
scaling policies and scheduled actions do not resize it; enable resumes them and attaches again. ``enabled`` is read back from the attachment (``traffic.is_enabled``:
the last call of both, so a worker killed between the two calls leaves a group that reads as it
was, and the resumed deployment's same call finishes it). A disabled group can still be resized
(scaled down after the strategy's delay). Both end any weighted split on the group's load
balancers first (``traffic``: the ``Traffic`` noun built here, on these groups).
"""

from __future__ import annotations

import contextlib
from typing import Any

from cloudrig import Capacity, Conflict, Instance, InvalidSpec, NotFound, ServerGroup, parse_name
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata, ServerGroups
from cloudrig_aws import health, metadata
from cloudrig_aws.clients import AwsClient, ClientFactory
from cloudrig_aws.launch import Launcher
from cloudrig_aws.naming import weight_target_group_name
from cloudrig_aws.settings import AwsServerGroupSettings
from cloudrig_aws.target_groups import TargetGroups, name_of
from cloudrig_aws.traffic import DISABLE_SUSPENDS, AwsTraffic, is_enabled, is_suspended

_SNAPSHOT = "cloudrig-groups"


class AwsServerGroups(ServerGroups[AwsServerGroupSettings]):
    """Auto Scaling groups of one account; ``traffic`` is the account's ``Traffic`` noun, which
    reads and switches these same groups."""

    def __init__(self, factory: ClientFactory, target_groups: TargetGroups) -> None:
        self._factory = factory
        self._tgs = target_groups
        self._account = factory.account
        self._regions = factory.settings.regions
        self._launcher = Launcher(factory, target_groups, self)
        self.traffic = AwsTraffic(factory, target_groups, self)

    def _asg(self, region: str) -> AwsClient:
        return self._factory.client("autoscaling", region)

    # -- reads -----------------------------------------------------------------------------------
    def snapshot(self, region: str, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """Every cloudrig Auto Scaling group of the region by name (one paginated describe)."""
        asg = self._asg(region)

        def load() -> dict[str, dict[str, Any]]:
            groups = asg.pages(
                "describe_auto_scaling_groups",
                "AutoScalingGroups",
                Filters=[{"Name": "tag-key", "Values": [metadata.APP]}],
            )
            return {g["AutoScalingGroupName"]: g for g in groups}

        return asg.read(_SNAPSHOT, load, fresh=fresh)

    def invalidate(self, region: str) -> None:
        self._asg(region).invalidate(_SNAPSHOT)

    def describe(self, region: str, name: str, *, fresh: bool = False) -> dict[str, Any]:
        """One group's raw description; ``NotFound`` when absent or being deleted."""
        if fresh:
            found = self._asg(region).call(
                "describe_auto_scaling_groups", AutoScalingGroupNames=[name], resource=name
            )
            groups: list[dict[str, Any]] = found.get("AutoScalingGroups", [])
            group = groups[0] if groups else None
        else:
            group = self.snapshot(region).get(name)
            if group is None:  # not tagged by cloudrig, or created since the snapshot
                return self.describe(region, name, fresh=True)
        if group is None or group.get("Status") == "Delete in progress":
            raise NotFound(
                f"server group {name!r} does not exist in {region}",
                provider="aws",
                account=self._account,
                resource=name,
            )
        return group

    def get(self, region: str, name: str, *, fresh: bool = False) -> ServerGroup:
        group = self.describe(region, name, fresh=fresh)
        return self.to_model(region, group, with_target_health=True, fresh=fresh)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """Groups whose stored app is ``app``; health from the Auto Scaling view only (target
        health costs a call per target group: ``get`` adds it)."""
        out: list[ServerGroup] = []
        for where in (region,) if region else self._regions:
            for group in self.snapshot(where).values():
                tags = metadata.as_dict(group.get("Tags", []))
                if tags.get(metadata.APP) == app and group.get("Status") != "Delete in progress":
                    out.append(self.to_model(where, group, with_target_health=False))
        return out

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        group = self.describe(region, name)
        stored = metadata.from_tags(metadata.as_dict(group.get("Tags", [])))
        return stored or ServerGroupMetadata(moniker=parse_name(name))

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.get(region, name).instances

    # -- create ----------------------------------------------------------------------------------
    def create(self, request: CreateServerGroup[AwsServerGroupSettings]) -> ServerGroup:
        """Launch template, then Auto Scaling group (see ``launch``)."""
        return self._launcher.create(request)

    # -- mutations -------------------------------------------------------------------------------
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        try:
            self._asg(region).call(
                "update_auto_scaling_group",
                resource=name,
                AutoScalingGroupName=name,
                MinSize=capacity.min,
                MaxSize=capacity.max,
                DesiredCapacity=capacity.desired,
            )
        finally:
            self.invalidate(region)

    def enable(self, region: str, name: str) -> None:
        """End a split on its load balancers, then resume + attach (decided from a fresh read)."""
        self.traffic.end_split_for(region, name)
        self.apply_enabled(region, self.describe(region, name, fresh=True), True)

    def disable(self, region: str, name: str) -> None:
        """End a split on its load balancers, then suspend + detach (decided from a fresh read)."""
        self.traffic.end_split_for(region, name)
        self.apply_enabled(region, self.describe(region, name, fresh=True), False)

    def apply_enabled(self, region: str, group: dict[str, Any], enabled: bool) -> None:
        """Bring ``group`` (a description read just before) into or out of traffic, calling only
        what differs. Disable suspends before it detaches, so nothing re-registers meanwhile;
        enable resumes before it attaches."""
        name = group["AutoScalingGroupName"]
        tags = metadata.as_dict(group.get("Tags", []))
        lbs = metadata.load_balancers(tags)
        wanted = set(self._tgs.arns(region, lbs)) if lbs else set()
        attached = set(group.get("TargetGroupARNs", []))
        asg = self._asg(region)
        try:
            if enabled:
                # Resume first: AWS does not add instances to target groups while
                # AddToLoadBalancer is suspended, so attaching before would leave them out.
                if is_suspended(group):
                    asg.call(
                        "resume_processes",
                        resource=name,
                        AutoScalingGroupName=name,
                        ScalingProcesses=list(DISABLE_SUSPENDS),
                    )
                if wanted - attached:
                    asg.call(
                        "attach_load_balancer_target_groups",
                        resource=name,
                        AutoScalingGroupName=name,
                        TargetGroupARNs=sorted(wanted - attached),
                    )
            else:
                if not is_suspended(group):
                    asg.call(
                        "suspend_processes",
                        resource=name,
                        AutoScalingGroupName=name,
                        ScalingProcesses=list(DISABLE_SUSPENDS),
                    )
                if attached & wanted:
                    asg.call(
                        "detach_load_balancer_target_groups",
                        resource=name,
                        AutoScalingGroupName=name,
                        TargetGroupARNs=sorted(attached & wanted),
                    )
        finally:
            self.invalidate(region)
            self._tgs.invalidate_health(region, wanted | attached)

    def destroy(self, region: str, name: str) -> None:
        """Delete the group (its instances with it), its launch template and the per-version
        target groups a weighted split gave it; gone is success."""
        asg = self._asg(region)
        known = self.snapshot(region).get(name)
        lbs = metadata.load_balancers(metadata.as_dict(known.get("Tags", []))) if known else ()
        try:
            asg.call(
                "delete_auto_scaling_group",
                resource=name,
                AutoScalingGroupName=name,
                ForceDelete=True,
            )
        except NotFound:
            pass
        finally:
            self.invalidate(region)
        ec2 = self._factory.client("ec2", region)
        try:
            ec2.call("delete_launch_template", resource=name, LaunchTemplateName=name)
        except NotFound:
            pass
        except InvalidSpec:
            # moto answers MissingParameter (AWS: ...NotFoundException) for a template that
            # does not exist: look before deciding it is an error.
            with contextlib.suppress(NotFound):
                ec2.call("describe_launch_templates", LaunchTemplateNames=[name], resource=name)
                raise
        self._delete_weight_target_groups(region, name, lbs)

    def _delete_weight_target_groups(self, region: str, name: str, lbs: tuple[str, ...]) -> None:
        """A split's per-version target groups of this group (one per load balancer). One still
        named by a listener (a split not ended) is left: ELBv2 refuses to delete it."""
        elb = self._factory.client("elbv2", region)
        for lb in lbs:
            tg_name = weight_target_group_name(name, lb)
            try:
                arn = self._tgs.arns(region, [tg_name])[0]
            except NotFound:
                continue
            with contextlib.suppress(NotFound, Conflict):
                elb.call("delete_target_group", resource=tg_name, TargetGroupArn=arn)
            self._tgs.forget(region, tg_name)

    # -- conversion ------------------------------------------------------------------------------
    def to_model(
        self, region: str, group: dict[str, Any], *, with_target_health: bool, fresh: bool = False
    ) -> ServerGroup:
        name = group["AutoScalingGroupName"]
        tags = metadata.as_dict(group.get("Tags", []))
        meta = metadata.from_tags(tags) or ServerGroupMetadata(moniker=parse_name(name))
        lbs = metadata.load_balancers(tags)
        enabled = is_enabled(group)
        target_health: dict[str, dict[str, dict[str, Any]]] = {}
        if with_target_health:
            for arn in group.get("TargetGroupARNs", []):
                target_health[name_of(arn)] = self._tgs.health(region, arn, fresh=fresh)
        return ServerGroup(
            name=name,
            moniker=meta.moniker,
            account=self._account,
            region=region,
            zones=tuple(sorted(group.get("AvailabilityZones", []))),
            capacity=Capacity(
                min=group["MinSize"], desired=group["DesiredCapacity"], max=group["MaxSize"]
            ),
            instances=health.instances(
                group, target_health, enabled=enabled, behind_load_balancers=bool(lbs)
            ),
            enabled=enabled,
            created_at=group.get("CreatedTime"),
            artifact=tags.get(metadata.ARTIFACT),
            load_balancers=lbs,
            security_groups=metadata.security_groups(tags),
            deployment_id=meta.deployment_id,
            tags=metadata.user_tags(tags),
        )
