"""ECS tasks that moto never creates for services: one task's lifecycle, containers and health.

``ServiceTask`` subclasses moto's ``Task`` so moto's own handlers (``describe_tasks``,
``list_tasks``, ``stop_task``) and serializer treat it as one of theirs; only its status is ours:
moto's ``ManagedState`` would walk it towards STOPPED on every describe.
Lifecycle (a subset of AWS's): PENDING → RUNNING → DEACTIVATING (targets draining) → STOPPED,
or PENDING → STOPPED when it fails to start.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.utils import random_private_ip
from moto.ecs.models import Cluster, Container, EC2ContainerServiceBackend, Task, TaskDefinition

from support.aws.clock import Clock


class ModelContainer(Container):
    """moto's container plus what the model needs (moto reads only the first definition)."""

    essential: bool = True
    has_health_check: bool = False
    reason: str | None = None


class ServiceTask(Task):
    """A task started by the model for ``service_name``; timing fields are model-clock seconds."""

    def __init__(
        self,
        backend: EC2ContainerServiceBackend,
        cluster: Cluster,
        task_definition: TaskDefinition,
        service: Any,
        clock: Clock,
        start_after: float,
    ) -> None:
        # moto's Task builds the awsvpc ENI itself but crashes (AttributeError private_dns_name) in
        # VPCs without DNS hostnames and ignores the subnet's CIDR: it gets a copy of the
        # definition that does not say awsvpc, and we attach our own ENI below.
        plain = copy.copy(task_definition)
        plain.network_mode = "none"
        super().__init__(
            cluster=cluster,
            task_definition=plain,
            container_instance_arn=None,
            resource_requirements=None,
            backend=backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=(service.deployments[0]["id"] if service.deployments else "ecs-svc"),
            networking_configuration=None,
            platform_version=service.platform_version,
        )
        self.eni_id: str | None = None
        if task_definition.network_mode == "awsvpc" and service.network_configuration:
            self.network_configuration = service.network_configuration
            self._attach_eni(service.network_configuration["awsvpcConfiguration"])
        self._status = "PENDING"
        self.desired_status = "RUNNING"
        self.service_name: str = service.name
        self.cluster_key: str = cluster.name
        self.created_at: datetime = clock.wall()
        self.started_at: datetime | None = None
        self.stopping_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.stop_code: str | None = None
        self.health_status = "UNKNOWN"
        self.connectivity = "CONNECTED"
        self.private_ip: str = self._eni_ip() or random_private_ip()
        definitions: list[dict[str, Any]] = list(task_definition.container_definitions)
        self.containers: list[ModelContainer] = [  # type: ignore[assignment]
            self._container(task_definition, d) for d in definitions
        ]
        for container in self.containers:  # moto names containers after the task definition
            container.task_arn = self.task_arn
            container.container_arn = (
                f"arn:aws:ecs:{self.region_name}:{self._account_id}:"
                f"container/{cluster.name}/{self.id}/{uuid.uuid4()}"
            )
        # model-clock deadlines
        self.run_at: float = clock() + start_after
        self.healthy_at: float | None = None
        self.unhealthy_since: float | None = None
        self.stop_done_at: float | None = None
        self.fail_on_start: tuple[str, int] | None = None  # (reason, exit code)
        self.registrations: list[tuple[str, str, int]] = []  # (tg arn, target id, port)

    # moto's ManagedState would move the status on reads; this model moves it explicitly.
    @property
    def status(self) -> str | None:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value

    def advance(self) -> None:
        """moto calls this on every describe; our tasks move on the model's clock instead."""

    def _attach_eni(self, awsvpc: dict[str, Any]) -> None:
        ec2 = ec2_backends[self._account_id][self.region_name]
        subnet = ec2.get_subnet(awsvpc["subnets"][0])
        eni = ec2.create_network_interface(
            subnet=subnet,
            private_ip_address=None,  # type: ignore[arg-type]
            group_ids=awsvpc.get("securityGroups") or None,
            description="moto ECS (cloudrig test model)",
        )
        eni.status = "in-use"
        self.eni_id = eni.id
        self.attachments.append(
            {
                "id": str(uuid.uuid4()),
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": subnet.id},
                    {"name": "networkInterfaceId", "value": eni.id},
                    {"name": "macAddress", "value": eni.mac_address},
                    {"name": "privateIPv4Address", "value": eni.private_ip_address},
                ],
            }
        )

    def _release_eni(self) -> None:
        """AWS deletes a task's ENI when the task stops."""
        if self.eni_id is None:
            return
        ec2 = ec2_backends[self._account_id][self.region_name]
        ec2.enis.pop(self.eni_id, None)
        for attachment in self.attachments:
            attachment["status"] = "DELETED"
        self.eni_id = None

    def _eni_ip(self) -> str | None:
        attachments: list[dict[str, Any]] = self.attachments
        for attachment in attachments:
            for detail in attachment.get("details", []):
                if detail["name"] == "privateIPv4Address":
                    return str(detail["value"])
        return None

    @staticmethod
    def _container(task_definition: TaskDefinition, definition: dict[str, Any]) -> ModelContainer:
        container = ModelContainer(task_definition)  # type: ignore[abstract]  # moto's CFN ABC
        container.name = definition.get("name")
        container.image = definition.get("image")
        container.cpu = definition.get("cpu", 0)
        container.memory = definition.get("memory")
        container.environment = definition.get("environment")
        container.command = definition.get("command")
        container.essential = bool(definition.get("essential", True))
        container.has_health_check = "healthCheck" in definition
        container.health_status = "UNKNOWN"
        container.exitCode = None  # type: ignore[assignment]  # AWS: no exit code until stopped
        return container

    # --- transitions -------------------------------------------------------------------------

    def start_running(self, clock: Clock, health_after: float) -> None:
        """RUNNING as of ``run_at`` (a clock jump can complete several steps at once)."""
        self._status = "RUNNING"
        self.started_at = clock.wall() - timedelta(seconds=max(0.0, clock() - self.run_at))
        for container in self.containers:
            container.last_status = "RUNNING"
        if any(c.has_health_check for c in self.containers):
            self.healthy_at = self.run_at + health_after

    def become_healthy(self) -> None:
        for container in self.containers:
            if container.has_health_check and container.health_status == "UNKNOWN":
                container.health_status = "HEALTHY"
        self.healthy_at = None
        self.refresh_health()

    def become_unhealthy(self, clock: Clock, container_name: str | None = None) -> None:
        for container in self.containers:
            if container_name is None or container.name == container_name:
                container.health_status = "UNHEALTHY"
        self.healthy_at = None
        self.unhealthy_since = clock()
        self.refresh_health()

    def refresh_health(self) -> None:
        """AWS's rule: any essential container UNHEALTHY → UNHEALTHY; all essential containers
        with a health check HEALTHY → HEALTHY; otherwise (or no health checks) UNKNOWN."""
        checked = [c for c in self.containers if c.essential and c.has_health_check]
        states = {c.health_status for c in self.containers if c.essential}
        if "UNHEALTHY" in states:
            self.health_status = "UNHEALTHY"
        elif checked and all(c.health_status == "HEALTHY" for c in checked):
            self.health_status = "HEALTHY"
        else:
            self.health_status = "UNKNOWN"

    def begin_stop(
        self,
        clock: Clock,
        reason: str,
        code: str,
        stop_after: float,
        exit_code: int | None = 0,
        since: float | None = None,
    ) -> None:
        """Desired STOPPED; DEACTIVATING while targets drain, STOPPED after ``stop_after`` s."""
        self.desired_status = "STOPPED"
        self.stopped_reason = reason
        self.stop_code = code
        self.stopping_at = clock.wall()
        if self._status == "PENDING":
            self.finish_stop(clock, exit_code)
            return
        self._status = "DEACTIVATING"
        self.stop_done_at = (clock() if since is None else since) + stop_after
        self._exit_code = exit_code

    def finish_stop(self, clock: Clock, exit_code: int | None = None) -> None:
        self._release_eni()
        self._status = "STOPPED"
        self.stopped_at = clock.wall()
        self.stop_done_at = None
        code = exit_code if exit_code is not None else getattr(self, "_exit_code", 0)
        for container in self.containers:
            was_running = container.last_status == "RUNNING" or self.fail_on_start is not None
            container.last_status = "STOPPED"
            container.exitCode = code if was_running else None  # type: ignore[assignment]
            if self.fail_on_start is not None:
                container.reason = self.fail_on_start[0]

    @property
    def live(self) -> bool:
        """Counts towards the service's desired count (AWS: desired status RUNNING)."""
        return self.desired_status == "RUNNING"
