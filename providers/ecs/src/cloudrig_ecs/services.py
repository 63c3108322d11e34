"""Server groups as ECS services: reading them (with their tasks and target health), resizing,
destroying. Creation is in ``create``, traffic in ``switching``.

A service is read with one ``DescribeServices`` (tags included), its tasks with ``ListTasks`` +
``DescribeTasks`` and each target group's health with one ``DescribeTargetHealth``. Services
``DRAINING`` or ``INACTIVE`` (being deleted, deleted) do not exist for cloudrig.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cloudrig import (
    Capacity,
    Conflict,
    Instance,
    NotFound,
    ServerGroup,
    ServerGroupMetadata,
)
from cloudrig_aws import ClientFactory
from cloudrig_ecs import metadata as meta
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.health import instance
from cloudrig_ecs.load_balancers import LoadBalancers
from cloudrig_ecs.traffic import ListenerWeights

HEALTH_CHECKED = "cloudrig:health-checked"
ARTIFACT = "cloudrig:artifact"


def lbs_of(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(load balancer name, the group's target group ARN) for each of its load balancers."""
    tags = meta.as_dict(service.get("tags"))
    names = [n for n in tags.get(meta.LBS, "").split(",") if n]
    arns = [lb["targetGroupArn"] for lb in service.get("loadBalancers", [])]
    return list(zip(names, arns, strict=False))


class Services:
    def __init__(
        self,
        factory: ClientFactory,
        cluster: str,
        load_balancers: LoadBalancers,
        weights: ListenerWeights,
        autoscaling: Autoscaling,
    ) -> None:
        self._factory = factory
        self.cluster = cluster
        self._lbs = load_balancers
        self._weights = weights
        self._autoscaling = autoscaling
        self._account = factory.account

    def ecs(self, region: str) -> Any:
        return self._factory.client("ecs", region)

    # -- reading ---------------------------------------------------------------------------------
    def describe(self, region: str, name: str, fresh: bool = False) -> dict[str, Any] | None:
        """The ACTIVE service ``name``, through the limiter's short read cache (``fresh`` for
        reads that decide a write; this process's writes invalidate it)."""
        ecs = self.ecs(region)
        answer = ecs.read(
            ("service", name),
            lambda: ecs.call(
                "describe_services",
                resource=name,
                cluster=self.cluster,
                services=[name],
                include=["TAGS"],
            ),
            fresh=fresh,
        )
        found = [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
        return found[0] if found else None

    def changed(self, region: str, name: str) -> None:
        """Forget cached reads of ``name`` after this process changed it."""
        ecs = self.ecs(region)
        ecs.invalidate(("service", name))
        ecs.invalidate(("tasks", name))

    def require(self, region: str, name: str, fresh: bool = False) -> dict[str, Any]:
        service = self.describe(region, name, fresh)
        if service is None:
            raise NotFound(f"server group {name} not found", resource=name)
        return service

    def tasks(self, region: str, name: str) -> list[dict[str, Any]]:
        """The service's live tasks (``ListTasks`` defaults to desired status RUNNING), through
        the limiter's short read cache."""
        ecs = self.ecs(region)

        def load() -> list[dict[str, Any]]:
            arns = ecs.pages("list_tasks", "taskArns", cluster=self.cluster, serviceName=name)
            found: list[dict[str, Any]] = []
            for start in range(0, len(arns), 100):  # DescribeTasks takes 100
                found += ecs.call(
                    "describe_tasks",
                    resource=name,
                    cluster=self.cluster,
                    tasks=arns[start : start + 100],
                )["tasks"]
            return found

        tasks: list[dict[str, Any]] = ecs.read(("tasks", name), load)
        return tasks

    def enabled(self, region: str, service: dict[str, Any]) -> bool:
        behind = lbs_of(service)
        if not behind:
            return meta.as_dict(service.get("tags")).get(meta.ENABLED, "true") == "true"
        return any(self._weights.read(region, lb).get(arn, 0) > 0 for lb, arn in behind)

    def instances(self, region: str, service: dict[str, Any]) -> tuple[Instance, ...]:
        tags = meta.as_dict(service.get("tags"))
        targets: dict[str, dict[str, str]] = {}
        for lb, arn in lbs_of(service):
            elb = self._lbs.elb(region)
            described = elb.read(
                ("target-health", arn),
                lambda lb=lb, arn=arn, elb=elb: elb.call(
                    "describe_target_health", resource=lb, TargetGroupArn=arn
                )["TargetHealthDescriptions"],
            )
            targets[lb] = {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in described}
        checked = tags.get(HEALTH_CHECKED) == "true"
        return tuple(
            instance(t, checked, targets) for t in self.tasks(region, service["serviceName"])
        )

    def group(self, region: str, service: dict[str, Any]) -> ServerGroup:
        tags = meta.as_dict(service.get("tags"))
        metadata = meta.read_metadata(tags)
        if metadata is None:
            raise NotFound(f"{service['serviceName']} is not a cloudrig server group")
        created = service.get("createdAt")
        return ServerGroup(
            name=service["serviceName"],
            moniker=metadata.moniker,
            account=self._account,
            region=region,
            capacity=meta.read_capacity(tags, int(service.get("desiredCount", 0))),
            instances=self.instances(region, service),
            enabled=self.enabled(region, service),
            created_at=created if isinstance(created, datetime) else None,
            artifact=tags.get(ARTIFACT),
            load_balancers=tuple(lb for lb, _ in lbs_of(service)),
            security_groups=tuple(g for g in tags.get(meta.SGS, "").split(",") if g),
            deployment_id=metadata.deployment_id,
            tags={k: v for k, v in tags.items() if not k.startswith("cloudrig:")},
        )

    def get(self, region: str, name: str) -> ServerGroup:
        return self.group(region, self.require(region, name))

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        found = meta.read_metadata(meta.as_dict(self.require(region, name).get("tags")))
        if found is None:
            raise NotFound(f"{name} is not a cloudrig server group", resource=name)
        return found

    def _services(self, region: str) -> Iterator[dict[str, Any]]:
        ecs = self.ecs(region)
        arns = ecs.pages("list_services", "serviceArns", cluster=self.cluster)
        for start in range(0, len(arns), 10):  # DescribeServices takes 10
            yield from ecs.call(
                "describe_services",
                cluster=self.cluster,
                services=arns[start : start + 10],
                include=["TAGS"],
            )["services"]

    def of_app(self, app: str, regions: tuple[str, ...]) -> list[ServerGroup]:
        groups = []
        for region in regions:
            for service in self._services(region):
                tags = meta.as_dict(service.get("tags"))
                if service.get("status") == "ACTIVE" and tags.get(meta.APP) == app:
                    groups.append(self.group(region, service))
        return groups

    # -- resize and destroy ----------------------------------------------------------------------
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        service = self.require(region, name, fresh=True)
        ecs = self.ecs(region)
        if service.get("desiredCount") != capacity.desired:
            ecs.call(
                "update_service",
                resource=name,
                safe=True,
                cluster=self.cluster,
                service=name,
                desiredCount=capacity.desired,
            )
        bounds = {meta.MIN: str(capacity.min), meta.MAX: str(capacity.max)}
        tags = meta.as_dict(service.get("tags"))
        if any(tags.get(k) != v for k, v in bounds.items()):
            ecs.call(
                "tag_resource",
                resource=name,
                safe=True,
                resourceArn=service["serviceArn"],
                tags=meta.as_list(bounds),
            )
        self.changed(region, name)
        self._autoscaling.resize(region, name, capacity.min, capacity.max)

    def destroy(self, region: str, name: str) -> None:
        """Delete the service (its tasks stop), take its target groups out of their listeners
        and delete them, and deregister its task definition revision (used by no one else: the
        family is the group's own)."""
        service = self.describe(region, name, fresh=True)
        if service is None:
            return
        behind = lbs_of(service)
        for lb, arn in behind:
            if self._weights.read(region, lb, fresh=True).get(arn, 0) > 0:
                raise Conflict(f"{name} still receives traffic from {lb}", resource=name)
        ecs = self.ecs(region)
        with contextlib.suppress(NotFound):
            ecs.call(
                "delete_service",
                resource=name,
                safe=True,
                cluster=self.cluster,
                service=name,
                force=True,
            )
        self.changed(region, name)
        for lb, arn in behind:
            with contextlib.suppress(NotFound):
                current = self._weights.read(region, lb, fresh=True)
                if arn in current:
                    del current[arn]
                    self._weights.write(region, lb, current)
            self._lbs.delete_target_group(region, arn)
        with contextlib.suppress(NotFound):
            ecs.call(
                "deregister_task_definition",
                resource=name,
                safe=True,
                taskDefinition=service["taskDefinition"],
            )
