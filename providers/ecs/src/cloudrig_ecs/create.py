"""Creating a server group: its task definition revision, its target groups, its service.

Idempotent end to end: a service of that name with our moniker and deployment id is returned
(another one is a ``Conflict``); the task definition family is the group's own, and the revision
registered for this deployment is remembered in process until its service exists, so a retry
reuses it (a deployment resumed by another process registers one more revision of the family,
which ``destroy`` deregisters with the rest); target groups are created with
``CreateTargetGroup`` (which returns a matching existing one); ``CreateService`` carries a
``clientToken`` derived from the name and deployment id, so a retry after a lost answer does not
make a second service. The moniker, deployment id and capacity bounds are tags written in the
create calls themselves.

Requests: the fresh conflict check (``DescribeServices``), ``RegisterTaskDefinition``,
``CreateTargetGroup`` and the fresh listener read + ``ModifyListener`` per load balancer,
``CreateService``. The service is not read back: ``CreateService`` answers with it, and that
answer is put into the read cache (``Services.created``); its tasks and target health are read
only when the answer already counts tasks (AWS answers before any exists).

A group behind load balancers joins their listeners with weight 0: its tasks are registered
and health-checked, but take traffic only once enabled. A group behind none is enabled.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from cloudrig import Conflict, ServerGroup
from cloudrig.provider import CreateServerGroup
from cloudrig_ecs import metadata as meta
from cloudrig_ecs.load_balancers import LoadBalancers
from cloudrig_ecs.network import Network
from cloudrig_ecs.security_groups import SecurityGroups
from cloudrig_ecs.services import ARTIFACT, HEALTH_CHECKED, Services
from cloudrig_ecs.settings import EcsServiceSettings
from cloudrig_ecs.traffic import ListenerWeights


class Creator:
    def __init__(
        self,
        services: Services,
        load_balancers: LoadBalancers,
        weights: ListenerWeights,
        network: Network,
        security_groups: SecurityGroups,
    ) -> None:
        self._services = services
        self._lbs = load_balancers
        self._weights = weights
        self._network = network
        self._security_groups = security_groups
        self._lock = threading.Lock()
        # (region, group, deployment id) -> the task definition revision registered for it,
        # until its service exists.
        self._registered: dict[tuple[str, str, str | None], str] = {}

    def create(self, request: CreateServerGroup) -> ServerGroup:
        settings = request.settings
        if not isinstance(settings, EcsServiceSettings):
            settings = EcsServiceSettings.model_validate(settings.model_dump())
        spec, name, region = request.spec, request.name, request.spec.region
        existing = self._services.describe(region, name, fresh=True)
        if existing is not None:
            found = meta.read_metadata(meta.as_dict(existing.get("tags")))
            if found != request.metadata:
                raise Conflict(
                    f"service {name} exists with moniker {found.moniker if found else None} "
                    f"and deployment {found.deployment_id if found else None}",
                    resource=name,
                )
            return self._services.group(region, existing)
        tags = dict(spec.tags) | meta.metadata_tags(name, request.metadata, spec.capacity)
        tags |= {
            meta.LBS: ",".join(spec.load_balancers),
            meta.SGS: ",".join(spec.security_groups),
            HEALTH_CHECKED: "true" if settings.health_check_command else "false",
            ARTIFACT: spec.artifact[:256],
        }
        task_definition = self._task_definition(request, settings, tags)
        balancers = []
        for lb in spec.load_balancers:
            arn = self._lbs.version_target_group(region, lb, name)
            current = self._weights.read(region, lb, fresh=True)
            if arn not in current:
                self._weights.write(region, lb, current | {arn: 0})
            balancers.append(
                {
                    "targetGroupArn": arn,
                    "containerName": settings.container_name,
                    "containerPort": settings.container_port,
                }
            )
        subnets = list(settings.subnets) or self._network.default_subnets(region)
        groups = [self._security_groups.require(region, g)["GroupId"] for g in spec.security_groups]
        placement: dict[str, Any] = (
            {"launchType": settings.launch_type}
            if settings.launch_type
            else {
                "capacityProviderStrategy": [
                    {"capacityProvider": c.capacity_provider, "weight": c.weight, "base": c.base}
                    for c in settings.capacity_provider_strategy
                ]
            }
        )
        token = hashlib.sha256(f"{name}\0{request.metadata.deployment_id}".encode()).hexdigest()
        answer = self._services.ecs(region).call(
            "create_service",
            resource=name,
            safe=True,
            cluster=self._services.cluster,
            serviceName=name,
            taskDefinition=task_definition,
            desiredCount=spec.capacity.desired,
            loadBalancers=balancers,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": groups
                    or [self._network.default_security_group(region, subnets)],
                    "assignPublicIp": "ENABLED" if settings.assign_public_ip else "DISABLED",
                }
            },
            tags=meta.as_list(tags),
            propagateTags="SERVICE",
            clientToken=token[:32],
            **placement,
        )
        self._services.created(region, answer["service"], tags)
        with self._lock:
            self._registered.pop((region, name, request.metadata.deployment_id), None)
        return self._services.get(region, name)

    def _task_definition(
        self, request: CreateServerGroup, settings: EcsServiceSettings, tags: dict[str, str]
    ) -> str:
        region, name = request.spec.region, request.name
        remembered = (region, name, request.metadata.deployment_id)
        with self._lock:
            known = self._registered.get(remembered)
        if known is not None:  # a retry of this create: the revision is registered already
            return known
        container: dict[str, Any] = {
            "name": settings.container_name,
            "image": request.spec.artifact,
            "essential": True,
            "portMappings": [{"containerPort": settings.container_port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in request.spec.environment.items()],
        }
        if settings.health_check_command:
            container["healthCheck"] = {"command": list(settings.health_check_command)}
        extra: dict[str, Any] = {}
        if settings.execution_role_arn:
            extra["executionRoleArn"] = settings.execution_role_arn
        if settings.task_role_arn:
            extra["taskRoleArn"] = settings.task_role_arn
        registered = self._services.ecs(region).call(
            "register_task_definition",
            resource=name,
            family=name,
            networkMode="awsvpc",
            containerDefinitions=[container],
            cpu=settings.cpu,
            memory=settings.memory,
            requiresCompatibilities=["FARGATE"] if settings.launch_type == "FARGATE" else ["EC2"],
            tags=meta.as_list(tags),
            **extra,
        )
        arn = str(registered["taskDefinition"]["taskDefinitionArn"])
        with self._lock:
            self._registered[remembered] = arn
        return arn
