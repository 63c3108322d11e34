"""The ECS service scheduler moto lacks: services start, replace and stop tasks.

Patched into moto's ``EC2ContainerServiceBackend`` in process: every ECS call first lets the model
catch up with its clock (reconcile), writes (create/update/delete service, stop task) reconcile
after moto's own handling. Reconcile keeps ``desiredCount`` live tasks of the service's current
task definition, registers RUNNING tasks into the service's target groups (ip targets: the task's
ENI address, or a made-up private address without awsvpc) and deregisters them when they stop,
stops tasks of older task definitions once the new ones all run, replaces failed and unhealthy
tasks, and sets ``runningCount``/``pendingCount`` (service, PRIMARY deployment, cluster) from them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.elbv2.models import elbv2_backends

from support.aws.clock import Clock
from support.aws.ecs_tasks import ServiceTask
from support.aws.target_health import TargetHealth

_PATCHED = (
    "create_service",
    "update_service",
    "delete_service",
    "describe_services",
    "list_services",
    "describe_tasks",
    "list_tasks",
    "stop_task",
)


@dataclass
class Timing:
    """Seconds (model clock) each step takes. Tests freeze the clock to hold tasks in a state."""

    start: float = 0.2  # PENDING → RUNNING
    health: float = 0.2  # RUNNING → containers with a healthCheck HEALTHY
    stop: float = 0.2  # DEACTIVATING → STOPPED
    replace_unhealthy: float | None = 0.5  # UNHEALTHY task stopped and replaced; None: never


@dataclass
class _Plan:
    failures: list[tuple[str, int]] = field(default_factory=list)  # next starts that fail


class EcsTaskModel:
    """Task behaviour for moto's ECS services, with controls for tests."""

    def __init__(self, lock: threading.RLock, clock: Clock, target_health: TargetHealth) -> None:
        self._lock = lock
        self.clock = clock
        self.timing = Timing()
        self._target_health = target_health
        self._plans: dict[str, _Plan] = {}
        self._originals: dict[str, Callable[..., Any]] = {}

    # --- test API ----------------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self.timing = Timing()

    def tasks(self, service: str | None = None) -> list[ServiceTask]:
        """Tasks the model started (of one service by name), after catching up with the clock."""
        with self._lock:
            out = []
            for backend in self._backends():
                self.reconcile(backend)
                out += [
                    t
                    for t in self._service_tasks(backend)
                    if service is None or t.service_name == service
                ]
            return out

    def fail_next_starts(
        self,
        service: str,
        count: int = 1,
        reason: str = "Essential container in task exited",
        exit_code: int = 1,
    ) -> None:
        """The next ``count`` tasks ``service`` starts stop instead of running."""
        with self._lock:
            plan = self._plans.setdefault(service, _Plan())
            plan.failures += [(reason, exit_code)] * count

    def crash(
        self, task_arn: str, reason: str = "Essential container in task exited", exit_code: int = 1
    ) -> None:
        """A running task's essential container exits; the service replaces the task."""
        with self._lock:
            task = self._find(task_arn)
            task.begin_stop(
                self.clock, reason, "EssentialContainerExited", self.timing.stop, exit_code
            )
            self._deregister(task)

    def make_unhealthy(self, task_arn: str, container: str | None = None) -> None:
        """Containers (all, or one by name) fail their health check: task UNHEALTHY, its
        targets ``unhealthy``; replaced after ``timing.replace_unhealthy`` s."""
        with self._lock:
            task = self._find(task_arn)
            task.become_unhealthy(self.clock, container)
            for arn, target_id, _ in task.registrations:
                self._target_health.set(arn, "unhealthy", target_id=target_id)

    def advance(self, seconds: float) -> None:
        """Move the model clock (works frozen or not)."""
        self.clock.advance(seconds)

    # --- reconcile ---------------------------------------------------------------------------

    def reconcile(self, backend: EC2ContainerServiceBackend) -> None:
        with self._lock:
            for service in list(backend.services.values()):
                # EXTERNAL / CODE_DEPLOY services run task sets, not scheduler tasks.
                if service.task_definition and service.deployment_controller["type"] == "ECS":
                    self._reconcile_service(backend, service)
            self._count_clusters(backend)

    def _reconcile_service(self, backend: EC2ContainerServiceBackend, service: Any) -> None:
        now = self.clock()
        tasks = [
            t
            for t in self._service_tasks(backend)
            if t.service_name == service.name and t.cluster_arn == service.cluster_arn
        ]
        for task in tasks:
            self._progress(task, now)
        desired = service.desired_count if service.status == "ACTIVE" else 0
        live = [t for t in tasks if t.live]
        current = [t for t in live if t.task_definition_arn == service.task_definition]
        old = [t for t in live if t.task_definition_arn != service.task_definition]
        started = [self._start(backend, service) for _ in range(desired - len(current))]
        tasks += [t for t in started if t is not None]
        extra = sorted(current, key=lambda t: (t.status != "PENDING", -t.run_at))
        for task in extra[: max(0, len(current) - desired)]:
            self._stop(task, self._scaling_reason(service), service)
        running_current = [t for t in current if t.status == "RUNNING"]
        if old and len(running_current) >= desired:
            for task in old:
                self._stop(task, self._scaling_reason(service), service)
        self._count_service(service, tasks)

    @staticmethod
    def _scaling_reason(service: Any) -> str:
        deployment = service.deployments[0]["id"] if service.deployments else "ecs-svc"
        return f"Scaling activity initiated by (deployment {deployment})"

    def _progress(self, task: ServiceTask, now: float) -> None:
        timing = self.timing
        if task.status == "PENDING" and task.live and now >= task.run_at:
            if task.fail_on_start is not None:
                reason, code = task.fail_on_start
                task.begin_stop(self.clock, reason, "TaskFailedToStart", 0.0, code)
            else:
                task.start_running(self.clock, timing.health)
                self._register(task)
        if task.status == "RUNNING" and task.healthy_at is not None and now >= task.healthy_at:
            task.become_healthy()
        if (
            task.status == "RUNNING"
            and task.health_status == "UNHEALTHY"
            and timing.replace_unhealthy is not None
            and task.unhealthy_since is not None
            and now - task.unhealthy_since >= timing.replace_unhealthy
        ):
            task.begin_stop(
                self.clock,
                "Task failed container health checks",
                "ServiceSchedulerInitiated",
                timing.stop,
                since=task.unhealthy_since + timing.replace_unhealthy,
            )
            self._deregister(task)
        if (
            task.status == "DEACTIVATING"
            and task.stop_done_at is not None
            and now >= task.stop_done_at
        ):
            task.finish_stop(self.clock)

    def _start(self, backend: EC2ContainerServiceBackend, service: Any) -> ServiceTask | None:
        cluster = backend._get_cluster(service.cluster_name)
        definition = backend.describe_task_definition(service.task_definition)
        task = ServiceTask(backend, cluster, definition, service, self.clock, self.timing.start)
        plan = self._plans.get(service.name)
        if plan and plan.failures:
            task.fail_on_start = plan.failures.pop(0)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        self._event(service, f"(service {service.name}) has started 1 tasks: (task {task.id}).")
        return task

    def _stop(self, task: ServiceTask, reason: str, service: Any) -> None:
        task.begin_stop(self.clock, reason, "ServiceSchedulerInitiated", self.timing.stop)
        self._deregister(task)
        self._event(
            service, f"(service {service.name}) has stopped 1 running tasks: (task {task.id})."
        )

    def _register(self, task: ServiceTask) -> None:
        service = self._service_of(task)
        elbv2 = elbv2_backends[task._account_id][task.region_name]
        for lb in service.load_balancers if service else []:
            group = elbv2.target_groups.get(lb.get("targetGroupArn"))
            if group is None or group.target_type != "ip":
                continue  # instance targets need container instances: not modelled
            port = int(lb.get("containerPort") or group.port)
            elbv2.register_targets(group.arn, [{"Id": task.private_ip, "Port": port}])
            task.registrations.append((group.arn, task.private_ip, port))

    def _deregister(self, task: ServiceTask) -> None:
        elbv2 = elbv2_backends[task._account_id][task.region_name]
        for arn, target_id, port in task.registrations:
            group = elbv2.target_groups.get(arn)
            if group is not None and target_id in group.targets:
                elbv2.deregister_targets(arn, [{"Id": target_id, "Port": port}])
            self._target_health.unset(arn, target_id=target_id)
        task.registrations.clear()

    def _count_service(self, service: Any, tasks: list[ServiceTask]) -> None:
        running = sum(t.status == "RUNNING" for t in tasks)
        pending = sum(t.status == "PENDING" for t in tasks)
        failed = sum(
            t.stop_code in ("TaskFailedToStart", "EssentialContainerExited") for t in tasks
        )
        was_steady = service.running_count == service.desired_count and service.pending_count == 0
        service.running_count, service.pending_count = running, pending
        live = [t for t in tasks if t.live]
        steady = (
            running == service.desired_count
            and pending == 0
            and all(t.task_definition_arn == service.task_definition for t in live)
        )
        if service.deployments:
            deployment = service.deployments[0]
            deployment.update(
                desiredCount=service.desired_count,
                runningCount=running,
                pendingCount=pending,
                failedTasks=failed,
                taskDefinition=service.task_definition,
                rolloutState="COMPLETED" if steady else "IN_PROGRESS",
                updatedAt=self.clock.wall(),
            )
        if steady and not was_steady and service.status == "ACTIVE":
            self._event(service, f"(service {service.name}) has reached a steady state.")

    def _count_clusters(self, backend: EC2ContainerServiceBackend) -> None:
        for name, cluster in backend.clusters.items():
            tasks = list(backend.tasks.get(name, {}).values())
            cluster.running_tasks_count = sum(t.last_status == "RUNNING" for t in tasks)
            cluster.pending_tasks_count = sum(t.last_status == "PENDING" for t in tasks)
            cluster.active_services_count = sum(
                s.cluster_name == name and s.status == "ACTIVE" for s in backend.services.values()
            )

    def _event(self, service: Any, message: str) -> None:
        service.events.insert(
            0, {"id": str(uuid.uuid4()), "createdAt": self.clock.wall(), "message": message}
        )

    # --- lookups -----------------------------------------------------------------------------

    @staticmethod
    def _backends() -> Iterator[EC2ContainerServiceBackend]:
        for regions in ecs_backends.values():
            yield from regions.values()

    @staticmethod
    def _service_tasks(backend: EC2ContainerServiceBackend) -> list[ServiceTask]:
        return [
            t
            for tasks in backend.tasks.values()
            for t in tasks.values()
            if isinstance(t, ServiceTask)
        ]

    def _find(self, task_arn: str) -> ServiceTask:
        for backend in self._backends():
            for task in self._service_tasks(backend):
                if task_arn in (task.task_arn, task.id):
                    return task
        raise KeyError(f"no model task {task_arn}")

    @staticmethod
    def _service_of(task: ServiceTask) -> Any:
        backend = ecs_backends[task._account_id][task.region_name]
        return backend.services.get(f"{task.cluster_key}:{task.service_name}")

    # --- moto patches ------------------------------------------------------------------------

    def install(self) -> None:
        cls = EC2ContainerServiceBackend
        self._originals = {name: getattr(cls, name) for name in _PATCHED}
        model, originals = self, self._originals

        def write(name: str) -> Callable[..., Any]:
            def patched(backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
                with model._lock:
                    result = originals[name](backend, *args, **kwargs)
                    model.reconcile(backend)
                    return result

            return patched

        def read(name: str) -> Callable[..., Any]:
            def patched(backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
                with model._lock:
                    model.reconcile(backend)
                    return originals[name](backend, *args, **kwargs)

            return patched

        def list_tasks(
            backend: EC2ContainerServiceBackend,
            cluster_str: str | None = None,
            container_instance: str | None = None,
            family: str | None = None,
            started_by: str | None = None,
            service_name: str | None = None,
            desiredStatus: str | None = None,
        ) -> list[Any]:
            with model._lock:
                model.reconcile(backend)
                # AWS filters on desired status RUNNING unless told otherwise, and by service
                # (moto ignores serviceName: it never had service tasks).
                tasks = originals["list_tasks"](
                    backend,
                    cluster_str,
                    container_instance,
                    family,
                    started_by,
                    None,
                    desiredStatus or "RUNNING",
                )
                if service_name:
                    name = service_name.split("/")[-1]
                    tasks = [t for t in tasks if t.group == f"service:{name}"]
                return list(tasks)

        def stop_task(
            backend: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str
        ) -> Any:
            with model._lock:
                model.reconcile(backend)
                task_id = task_str.split("/")[-1]
                for task in model._service_tasks(backend):
                    if task.id == task_id:
                        if task.live:
                            task.begin_stop(
                                model.clock,
                                reason or "Task stopped by user",
                                "UserInitiated",
                                model.timing.stop,
                            )
                            model._deregister(task)
                        model.reconcile(backend)
                        return task
                return originals["stop_task"](backend, cluster_str, task_str, reason)

        def create_service(backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
            return _AsCreated(write("create_service")(backend, *args, **kwargs))

        for name in ("update_service", "delete_service"):
            setattr(cls, name, write(name))
        setattr(cls, "create_service", create_service)  # noqa: B010
        for name in ("describe_services", "list_services", "describe_tasks"):
            setattr(cls, name, read(name))
        setattr(cls, "list_tasks", list_tasks)  # noqa: B010 (a method patch, typed loosely)
        setattr(cls, "stop_task", stop_task)  # noqa: B010

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(EC2ContainerServiceBackend, name, original)
        self._originals = {}


class _AsCreated:
    """A new service as ``CreateService`` answers on AWS: the scheduler starts its tasks after
    the answer, so it counts none running or pending yet (the AWS CLI reference's example answer:
    ``runningCount`` 0, ``pendingCount`` 0, in the service and its PRIMARY deployment). The model
    has started them already (``reconcile``); every later read counts them."""

    running_count = 0
    pending_count = 0

    def __init__(self, service: Any) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)

    @property
    def deployments(self) -> list[dict[str, Any]]:
        return [d | {"runningCount": 0, "pendingCount": 0} for d in self._service.deployments]
