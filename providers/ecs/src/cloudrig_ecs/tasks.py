"""A service's tasks and their health: ``ListTasks`` + ``DescribeTasks`` (live ones, or those
that stopped) and the target health of each of the group's target groups, all through the
limiter's short read cache (N deployments polling one service share one request per poll).
``health`` maps them to instances."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cloudrig import Instance
from cloudrig_aws import ClientFactory
from cloudrig_ecs import metadata as meta
from cloudrig_ecs.health import instance
from cloudrig_ecs.load_balancers import EcsLoadBalancers

HEALTH_CHECKED = "cloudrig:health-checked"
_UNREGISTERED = frozenset({"PROVISIONING", "PENDING"})


def lbs_of(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(load balancer name, the group's target group ARN) for each of its load balancers."""
    names = meta.names(meta.as_dict(service.get("tags")), meta.LBS)
    arns = [lb["targetGroupArn"] for lb in service.get("loadBalancers", [])]
    return list(zip(names, arns, strict=False))


class ServiceTasks:
    def __init__(self, factory: ClientFactory, cluster: str, lbs: EcsLoadBalancers) -> None:
        self._factory = factory
        self.cluster = cluster
        self._lbs = lbs

    def ecs(self, region: str) -> Any:
        return self._factory.client("ecs", region)

    def read(self, region: str, name: str, status: str = "RUNNING") -> list[dict[str, Any]]:
        """The service's tasks of desired status ``status`` (live ones by default; ``STOPPED``
        for those that stopped), through the limiter's short read cache."""
        ecs = self.ecs(region)

        def load() -> list[dict[str, Any]]:
            arns = ecs.pages(
                "list_tasks",
                "taskArns",
                cluster=self.cluster,
                serviceName=name,
                **({} if status == "RUNNING" else {"desiredStatus": status}),
            )
            found: list[dict[str, Any]] = []
            for start in range(0, len(arns), 100):  # DescribeTasks takes 100
                found += ecs.call(
                    "describe_tasks",
                    resource=name,
                    cluster=self.cluster,
                    tasks=arns[start : start + 100],
                )["tasks"]
            return found

        key = ("tasks", name) if status == "RUNNING" else ("tasks", name, status)
        tasks: list[dict[str, Any]] = ecs.read(key, load)
        return tasks

    def instances(
        self, region: str, service: dict[str, Any], out_of_traffic: Collection[str] = ()
    ) -> tuple[Instance, ...]:
        """The service's tasks with their health (a healthy target behind a load balancer in
        ``out_of_traffic``, where the group's weight is 0, is OutOfService). Target health is
        read only when a task may be registered: tasks still PROVISIONING or PENDING have no
        target (ECS registers them while ACTIVATING), so a poll of a service that is only
        starting reads none."""
        tags = meta.as_dict(service.get("tags"))
        tasks = self.read(region, service["serviceName"])
        targets: dict[str, dict[str, str]] = {}
        registered = any(t.get("lastStatus") not in _UNREGISTERED for t in tasks)
        for lb, arn in lbs_of(service):
            elb = self._lbs.elb(region)
            described = (
                elb.read(
                    ("target-health", arn),
                    lambda lb=lb, arn=arn, elb=elb: elb.call(
                        "describe_target_health", resource=lb, TargetGroupArn=arn
                    )["TargetHealthDescriptions"],
                )
                if registered
                else []
            )
            targets[lb] = {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in described}
        checked = tags.get(HEALTH_CHECKED) == "true"
        return tuple(instance(t, checked, targets, out_of_traffic) for t in tasks)
