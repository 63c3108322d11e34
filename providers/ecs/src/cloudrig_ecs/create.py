"""What a new service runs on: its task definition revision, its target groups, its network.

``EcsServices.create`` owns the operation (the conflict check, ``CreateService``, the cache);
``ServiceCreation.arguments`` prepares the rest of the ``CreateService`` call, idempotently: the
task definition family is the group's own, and the revision registered for this deployment is
remembered in process until its service exists, so a retry reuses it; another process (a
deployment resumed after a crash between ``RegisterTaskDefinition`` and ``CreateService``) finds
it as the family's newest ACTIVE revision tagged with the deployment id, so no revision is left
orphaned (``tests/ecs/test_crash_matrix.py``); what the revision holds is ``task_definition``'s.
Target groups, one per load balancer, are created with ``CreateTargetGroup`` (which returns a
matching existing one); the ``clientToken`` is derived from the name and deployment id, so a
retry after a lost answer does not make a second service. ``healthCheckGracePeriodSeconds`` is
sent for a service behind load balancers only (ECS refuses it otherwise).

Requests: ``DescribeTaskDefinition`` (the family's newest revision: a crashed create's),
``RegisterTaskDefinition``, ``CreateTargetGroup`` and the fresh listener read +
``ModifyListener`` per load balancer.

A group behind load balancers joins their listeners with weight 0: its tasks are registered
and health-checked, but take traffic only once enabled. A group behind none is enabled.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from cloudrig import NotFound, ProviderFailure
from cloudrig.engine import created_before
from cloudrig.provider import CreateServerGroup
from cloudrig_aws import ClientFactory, VpcSecurityGroups
from cloudrig_ecs import metadata as meta
from cloudrig_ecs.load_balancers import EcsLoadBalancers
from cloudrig_ecs.network import Network
from cloudrig_ecs.settings import EcsSecurityGroupSettings, EcsServiceSettings
from cloudrig_ecs.task_definition import register_arguments
from cloudrig_ecs.traffic import ListenerWeights


class ServiceCreation:
    def __init__(
        self,
        factory: ClientFactory,
        load_balancers: EcsLoadBalancers,
        weights: ListenerWeights,
        network: Network,
        security_groups: VpcSecurityGroups[EcsSecurityGroupSettings],
    ) -> None:
        self._factory = factory
        self._lbs = load_balancers
        self._weights = weights
        self._network = network
        self._security_groups = security_groups
        self._lock = threading.Lock()
        # (region, group, deployment id) -> the task definition revision registered for it,
        # until its service exists.
        self._registered: dict[tuple[str, str, str | None], str] = {}

    def arguments(
        self, request: CreateServerGroup[EcsServiceSettings], tags: dict[str, str]
    ) -> dict[str, Any]:
        """The ``CreateService`` arguments beyond its name, count and tags: the task definition,
        the target groups (joined to their listeners with weight 0), the network, the placement
        and the client token."""
        spec, name, region = request.spec, request.name, request.spec.region
        settings = request.settings
        task_definition = self._task_definition(request, tags)
        balancers = []
        for index, lb in enumerate(spec.load_balancers):
            arn = self._lbs.version_target_group(region, lb, name, first=index == 0)
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
        if balancers and settings.health_check_grace_period is not None:
            placement["healthCheckGracePeriodSeconds"] = settings.health_check_grace_period
        return {
            "taskDefinition": task_definition,
            "loadBalancers": balancers,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": subnets,
                    "securityGroups": groups
                    or [self._network.default_security_group(region, subnets)],
                    "assignPublicIp": "ENABLED" if settings.assign_public_ip else "DISABLED",
                }
            },
            "clientToken": token[:32],
            **placement,
        }

    def done(self, request: CreateServerGroup[EcsServiceSettings]) -> None:
        """The service exists: a later create of this name registers anew."""
        with self._lock:
            self._registered.pop(
                (request.spec.region, request.name, request.metadata.deployment_id), None
            )

    def _task_definition(
        self, request: CreateServerGroup[EcsServiceSettings], tags: dict[str, str]
    ) -> str:
        region, name = request.spec.region, request.name
        remembered = (region, name, request.metadata.deployment_id)
        with self._lock:
            known = self._registered.get(remembered)
        if known is not None:  # a retry of this create: the revision is registered already
            return known
        found = self._registered_before(request)
        if found is not None:
            with self._lock:
                self._registered[remembered] = found
            return found
        registered = self._factory.client("ecs", region).call(
            "register_task_definition",
            resource=name,
            family=name,
            tags=meta.as_list(tags),
            **register_arguments(request),
        )
        arn = str(registered["taskDefinition"]["taskDefinitionArn"])
        with self._lock:
            self._registered[remembered] = arn
        return arn

    def _registered_before(self, request: CreateServerGroup[EcsServiceSettings]) -> str | None:
        """The revision another process registered for this very create and died before its
        service existed: the family's newest ACTIVE revision, when it carries this deployment's
        id (one ``DescribeTaskDefinition``; a family never registered answers an error)."""
        deployment = request.metadata.deployment_id
        if deployment is None or not created_before():  # the engine's first attempt: none
            return None
        try:
            found = self._factory.client("ecs", request.spec.region).call(
                "describe_task_definition",
                resource=request.name,
                taskDefinition=request.name,
                include=["TAGS"],
            )
        except (NotFound, ProviderFailure):  # ClientException: no such family
            return None
        definition = found.get("taskDefinition") or {}
        ours = meta.as_dict(found.get("tags")).get(meta.DEPLOYMENT) == deployment
        if definition.get("status") != "ACTIVE" or not ours:
            return None
        return str(definition["taskDefinitionArn"])
