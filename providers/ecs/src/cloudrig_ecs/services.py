"""Server groups as ECS services: the provider's ``server_groups`` noun. Reading them (with their
tasks and target health), creating (what the service runs on is prepared in ``create``),
enabling and disabling, resizing, destroying. Weighted splits are ``switching``'s.

Reads, all through the limiter's short read cache (N deployments polling in one process share
one request per poll; a deployment never sees an answer older than its own write):

- the cluster listing (``list``, several groups at once): one snapshot of the cluster's
  services, ``ListServices`` + ``DescribeServices`` (tags included) per 10 services;
- one group (``get``, the health polls): ``DescribeServices`` of that name — one request
  whatever the cluster's size, where the listing costs one per 10 services;
- a group's tasks: ``ListTasks`` + ``DescribeTasks``; each target group's health: one
  ``DescribeTargetHealth``.

Reads that decide a write (create's conflict check, resize, destroy, enable/disable) are fresh;
so is everything the core reads inside ``fresh_reads()``. ``CreateService`` answers with the new
service: ``created`` puts it (and its still empty tasks and target health) into the cache rather
than reading it back. Services ``DRAINING`` or ``INACTIVE`` (being deleted, deleted) do not
exist for cloudrig.

Create is idempotent: a service of that name with our moniker and deployment id is returned
(another one is a ``Conflict``); the moniker, deployment id and capacity bounds are tags written
in ``CreateService`` itself. Requests: the fresh conflict check (``DescribeServices``), those of
``ServiceCreation.arguments``, ``CreateService``; its tasks and target health are read only when
its answer already counts tasks (AWS answers before any exists).

enable gives the group an equal share with the groups already enabled behind each of its load
balancers (as groups sharing a load balancer do on EC2) and resumes its Application Auto Scaling;
disable sets its weights to 0 — its tasks keep running, warm — and suspends its autoscaling
(the strategies scale it to 0 after their delay, not disable). A group behind no load balancer
has no traffic to move: its enabled flag is the tag ``cloudrig:enabled``.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from cloudrig import Capacity, Clock, Conflict, Instance, NotFound, ServerGroup
from cloudrig.engine import instances_wanted
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata, ServerGroups
from cloudrig_aws import ClientFactory
from cloudrig_ecs import metadata as meta
from cloudrig_ecs import waiting
from cloudrig_ecs.autoscaling import Autoscaling
from cloudrig_ecs.create import ServiceCreation
from cloudrig_ecs.load_balancers import EcsLoadBalancers
from cloudrig_ecs.settings import EcsServiceSettings
from cloudrig_ecs.tasks import HEALTH_CHECKED, ServiceTasks, lbs_of
from cloudrig_ecs.traffic import ListenerWeights

ARTIFACT = "cloudrig:artifact"
_SNAPSHOT = ("services",)


def _equal(arns: list[str]) -> dict[str, int]:
    share, rest = divmod(100, len(arns))
    return {a: share + (1 if i < rest else 0) for i, a in enumerate(arns)}


class EcsServices(ServerGroups[EcsServiceSettings]):
    """The services of one ECS ``cluster`` in the account's ``regions``."""

    def __init__(
        self,
        factory: ClientFactory,
        cluster: str,
        regions: tuple[str, ...],
        load_balancers: EcsLoadBalancers,
        weights: ListenerWeights,
        autoscaling: Autoscaling,
        creation: ServiceCreation,
        clock: Clock,
        poll_interval: float = waiting.FIRST_POLL,
    ) -> None:
        self._clock = clock
        self._poll_interval = poll_interval
        self._born: dict[tuple[str, str], float] = {}  # services this process created: when
        self._factory = factory
        self.cluster = cluster
        self._regions = regions
        self._lbs = load_balancers
        self._weights = weights
        self._autoscaling = autoscaling
        self._creation = creation
        self._tasks = ServiceTasks(factory, cluster, load_balancers)
        self._account = factory.account

    def ecs(self, region: str) -> Any:
        return self._factory.client("ecs", region)

    # -- reading ---------------------------------------------------------------------------------
    def describe(self, region: str, name: str, fresh: bool = False) -> dict[str, Any] | None:
        """The ACTIVE service ``name`` (``fresh`` for reads that decide a write)."""
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

    def snapshot(self, region: str) -> dict[str, dict[str, Any]]:
        """Every ACTIVE service of the cluster by name: one listing shared by every caller."""
        ecs = self.ecs(region)

        def load() -> dict[str, dict[str, Any]]:
            arns = ecs.pages(
                "list_services",
                "serviceArns",
                cluster=self.cluster,
                PaginationConfig={"PageSize": 100},  # the most ListServices returns at once
            )
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(arns), 10):  # DescribeServices takes 10
                for service in ecs.call(
                    "describe_services",
                    cluster=self.cluster,
                    services=arns[start : start + 10],
                    include=["TAGS"],
                )["services"]:
                    if service.get("status") == "ACTIVE":
                        found[service["serviceName"]] = service
            return found

        services: dict[str, dict[str, Any]] = ecs.read(_SNAPSHOT, load)
        return services

    def changed(self, region: str, name: str) -> None:
        """Forget cached reads of ``name`` (and the listing) after this process changed it."""
        ecs = self.ecs(region)
        ecs.invalidate(("service", name))
        ecs.invalidate(("tasks", name))
        ecs.invalidate(_SNAPSHOT)

    def created(self, region: str, service: dict[str, Any], tags: dict[str, str]) -> None:
        """After ``CreateService``: its answer is the service as it now is — put it into the
        cache rather than describe it again. Tasks and targets come from the service's tasks:
        while it counts none running or pending (as a new service does), there are none."""
        name, ecs = service["serviceName"], self.ecs(region)
        self._born[(region, name)] = self._clock.monotonic()
        self._autoscaling.created(region, name)
        self.changed(region, name)
        if not service.get("tags"):  # AWS answers with the tags it was given; moto may not
            service = service | {"tags": meta.as_list(tags)}
        ecs.put(("service", name), {"services": [service], "failures": []})
        if int(service.get("runningCount", 0)) + int(service.get("pendingCount", 0)) == 0:
            ecs.put(("tasks", name), [])
            elb = self._lbs.elb(region)
            for _, arn in lbs_of(service):
                elb.put(("target-health", arn), [])

    def require(self, region: str, name: str, fresh: bool = False) -> dict[str, Any]:
        service = self.describe(region, name, fresh)
        if service is None:
            raise NotFound(f"server group {name} not found", resource=name)
        return service

    def enabled(self, region: str, service: dict[str, Any]) -> bool:
        return self._traffic_state(region, service)[0]

    def _traffic_state(self, region: str, service: dict[str, Any]) -> tuple[bool, set[str]]:
        """Whether the service is enabled, and the load balancers where its weight is 0 (its
        tasks there report OutOfService): one read of each load balancer's weights."""
        shares = {lb: self._weights.read(region, lb).get(arn, 0) for lb, arn in lbs_of(service)}
        if not shares:
            return meta.as_dict(service.get("tags")).get(meta.ENABLED, "true") == "true", set()
        return any(w > 0 for w in shares.values()), {lb for lb, w in shares.items() if w == 0}

    def group(self, region: str, service: dict[str, Any], instances: bool = True) -> ServerGroup:
        """The group of ``service``; its tasks and their health are read unless ``instances``
        is False (then it has none: for callers that use its capacity and traffic only)."""
        tags = meta.as_dict(service.get("tags"))
        metadata = meta.read_metadata(tags)
        if metadata is None:
            raise NotFound(f"{service['serviceName']} is not a cloudrig server group")
        created = service.get("createdAt")
        enabled, out_of_traffic = self._traffic_state(region, service)
        return ServerGroup(
            name=service["serviceName"],
            moniker=metadata.moniker,
            account=self._account,
            region=region,
            capacity=meta.read_capacity(tags, int(service.get("desiredCount", 0))),
            instances=self._tasks.instances(region, service, out_of_traffic) if instances else (),
            enabled=enabled,
            created_at=created if isinstance(created, datetime) else None,
            artifact=tags.get(ARTIFACT),
            load_balancers=tuple(lb for lb, _ in lbs_of(service)),
            security_groups=meta.names(tags, meta.SGS),
            deployment_id=metadata.deployment_id,
            tags={k: v for k, v in tags.items() if not k.startswith("cloudrig:")},
        )

    # -- the contract ----------------------------------------------------------------------------
    def create(self, request: CreateServerGroup[EcsServiceSettings]) -> ServerGroup:
        spec, name, region = request.spec, request.name, request.spec.region
        settings = request.settings
        existing = self.describe(region, name, fresh=True)
        if existing is not None:
            found = meta.read_metadata(meta.as_dict(existing.get("tags")))
            if found != request.metadata:
                raise Conflict(
                    f"service {name} exists with moniker {found.moniker if found else None} "
                    f"and deployment {found.deployment_id if found else None}",
                    resource=name,
                )
            return self.group(region, existing)
        tags = dict(spec.tags) | meta.metadata_tags(name, request.metadata, spec.capacity)
        tags |= {
            meta.LBS: meta.list_value(spec.load_balancers),
            meta.SGS: meta.list_value(spec.security_groups),
            HEALTH_CHECKED: "true" if settings.health_check_command else "false",
            ARTIFACT: meta.fit(spec.artifact),
        }
        meta.check(name, tags)
        arguments = self._creation.arguments(request, tags)
        answer = self.ecs(region).call(
            "create_service",
            resource=name,
            safe=True,
            cluster=self.cluster,
            serviceName=name,
            desiredCount=spec.capacity.desired,
            tags=meta.as_list(tags),
            propagateTags="SERVICE",
            **arguments,
        )
        self.created(region, answer["service"], tags)
        self._creation.done(request)
        return self.get(region, name)

    def get(self, region: str, name: str) -> ServerGroup:
        return self.group(region, self.require(region, name))

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """Poll until ``healthy`` tasks are Up; fail at once, naming their ``stoppedReason``,
        when ECS counts failed tasks of the group (``waiting``)."""

        def read() -> tuple[ServerGroup, dict[str, Any]]:
            service = self.require(region, name)
            return self.group(region, service), service

        return waiting.wait_for_health(
            name,
            healthy=healthy,
            timeout=timeout,
            clock=self._clock,
            read=read,
            stopped=lambda: self._tasks.read(region, name, "STOPPED"),
            age=self._age(region, name),
            first_poll=self._poll_interval,
        )

    def _age(self, region: str, name: str) -> float | None:
        born = self._born.get((region, name))
        return None if born is None else self._clock.monotonic() - born

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        service = self.require(region, name)
        _, out_of_traffic = self._traffic_state(region, service)
        return self._tasks.instances(region, service, out_of_traffic)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        found = meta.read_metadata(meta.as_dict(self.require(region, name).get("tags")))
        if found is None:
            raise NotFound(f"{name} is not a cloudrig server group", resource=name)
        return found

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """The app's groups, each with its tasks and their health — unless the deployment
        engine reads the listing for capacities and traffic only (``instances_wanted``): then
        the snapshot and the listeners' weights, no task nor target health."""
        groups = []
        instances = instances_wanted()
        for where in (region,) if region else self._regions:
            for service in self.snapshot(where).values():
                if meta.as_dict(service.get("tags")).get(meta.APP) == app:
                    groups.append(self.group(where, service, instances))
        return groups

    def enable(self, region: str, name: str) -> None:
        self._set_enabled(region, name, True)

    def disable(self, region: str, name: str) -> None:
        self._set_enabled(region, name, False)

    def _set_enabled(self, region: str, name: str, enabled: bool) -> None:
        service = self.require(region, name, fresh=True)
        behind = lbs_of(service)
        if enabled:
            self._autoscaling.set_suspended(region, name, False)
        for lb, arn in behind:
            current = self._weights.read(region, lb, fresh=True)
            on = [a for a, w in current.items() if w > 0 and a != arn]
            if enabled and arn not in on and current.get(arn, 0) == 0:
                wanted = {a: 0 for a in current} | _equal([*on, arn])
            elif not enabled and current.get(arn, 0) > 0:
                wanted = {a: 0 for a in current} | (_equal(on) if on else {})
            else:
                continue
            self._weights.write(region, lb, wanted)
        if not behind:
            flag = "true" if enabled else "false"
            if meta.as_dict(service.get("tags")).get(meta.ENABLED, "true") != flag:
                self.ecs(region).call(
                    "tag_resource",
                    resource=name,
                    safe=True,
                    resourceArn=service["serviceArn"],
                    tags=[{"key": meta.ENABLED, "value": flag}],
                )
                self.changed(region, name)
        if not enabled:
            self._autoscaling.set_suspended(region, name, True)

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
        """Take the group's target groups out of their listeners and delete them, then delete
        the service (its tasks stop) and deregister its task definition revisions (used by no
        one else: the family is the group's own; more than one when a resumed deployment
        registered again).

        The service goes last so that destroy converges from any partial state: while it
        exists it names its target groups, so a rerun after a failed target group delete
        finds and deletes them (a service deleted first would leak them). Every step treats
        "already gone" as done."""
        service = self.describe(region, name, fresh=True)
        if service is None:
            return
        behind = lbs_of(service)
        for lb, arn in behind:
            with contextlib.suppress(NotFound):
                if self._weights.read(region, lb, fresh=True).get(arn, 0) > 0:
                    raise Conflict(f"{name} still receives traffic from {lb}", resource=name)
        for lb, arn in behind:
            with contextlib.suppress(NotFound):
                current = self._weights.read(region, lb, fresh=True)
                if arn in current:
                    del current[arn]
                    self._weights.write(region, lb, current)
            self._lbs.delete_target_group(region, arn)
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
        revisions = {service["taskDefinition"]}
        with contextlib.suppress(NotFound):
            listed = ecs.pages(
                "list_task_definitions", "taskDefinitionArns", familyPrefix=name, status="ACTIVE"
            )
            # familyPrefix matches by prefix: keep the family's own revisions only
            revisions |= {a for a in listed if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == name}
        for revision in sorted(revisions):
            with contextlib.suppress(NotFound):
                ecs.call(
                    "deregister_task_definition",
                    resource=name,
                    safe=True,
                    taskDefinition=revision,
                )
