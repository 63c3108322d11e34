"""What a server group's task definition is: the ``RegisterTaskDefinition`` arguments of a spec.

- compatibilities: ``FARGATE`` when the tasks run on Fargate — launch type ``FARGATE``, or a
  capacity provider strategy of ``FARGATE`` / ``FARGATE_SPOT`` (Fargate refuses a definition
  that requires ``EC2``) — else ``EC2``; always ``awsvpc`` (target groups of type ``ip``);
- ``runtimePlatform``: the CPU architecture (``ARM64`` for Graviton) on Linux;
- containers: the main one (``container_name``, the spec's artifact, behind the load balancers on
  ``container_port``) and the sidecars, each with its environment, its secrets as references
  (``valueFrom``: the ARN of a Secrets Manager secret or SSM parameter, resolved by ECS when the
  task starts: the value never passes through cloudrig), its health check and the log
  configuration (``awslogs`` by default: group ``/ecs/<cluster name>``, stream prefix the server
  group's name).
"""

from __future__ import annotations

from typing import Any

from cloudrig.provider import CreateServerGroup
from cloudrig_ecs.naming import NAMING
from cloudrig_ecs.settings import ContainerSettings, EcsServiceSettings

Request = CreateServerGroup[EcsServiceSettings]


def compatibilities(settings: EcsServiceSettings) -> list[str]:
    return ["FARGATE"] if settings.fargate else ["EC2"]


def log_configuration(request: Request) -> dict[str, Any] | None:
    settings = request.settings
    if not settings.sends_logs:
        return None
    logs = settings.logs
    group = logs.group or f"/ecs/{NAMING.cluster_name(request.metadata.moniker)}"
    options = {
        "awslogs-group": group,
        "awslogs-region": request.spec.region,
        "awslogs-stream-prefix": request.name,
        **({"awslogs-create-group": "true"} if logs.create_group else {}),
        **logs.options,
    }
    return {"logDriver": "awslogs", "options": options}


def _container(
    name: str,
    image: str,
    *,
    essential: bool,
    port: int | None,
    environment: dict[str, str],
    secrets: dict[str, str],
    health_check: tuple[str, ...],
    logs: dict[str, Any] | None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "essential": essential,
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
    }
    if port is not None:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    if secrets:
        container["secrets"] = [{"name": k, "valueFrom": v} for k, v in secrets.items()]
    if health_check:
        container["healthCheck"] = {"command": list(health_check)}
    if logs is not None:
        container["logConfiguration"] = logs
    return container


def _sidecar(sidecar: ContainerSettings, logs: dict[str, Any] | None) -> dict[str, Any]:
    container = _container(
        sidecar.name,
        sidecar.image,
        essential=sidecar.essential,
        port=sidecar.port,
        environment=sidecar.environment,
        secrets=sidecar.secrets,
        health_check=sidecar.health_check_command,
        logs=logs,
    )
    if sidecar.command:
        container["command"] = list(sidecar.command)
    if sidecar.cpu is not None:
        container["cpu"] = sidecar.cpu
    if sidecar.memory is not None:
        container["memory"] = sidecar.memory
    return container


def register_arguments(request: Request) -> dict[str, Any]:
    """``RegisterTaskDefinition``'s arguments but the family and tags."""
    settings, logs = request.settings, log_configuration(request)
    main = _container(
        settings.container_name,
        request.spec.artifact,
        essential=True,
        port=settings.container_port,
        environment=dict(request.spec.environment),
        secrets=settings.secrets,
        health_check=settings.health_check_command,
        logs=logs,
    )
    arguments: dict[str, Any] = {
        "networkMode": "awsvpc",
        "containerDefinitions": [main, *(_sidecar(s, logs) for s in settings.sidecars)],
        "cpu": settings.cpu,
        "memory": settings.memory,
        "requiresCompatibilities": compatibilities(settings),
        "runtimePlatform": {
            "cpuArchitecture": settings.cpu_architecture,
            "operatingSystemFamily": "LINUX",
        },
    }
    if settings.execution_role_arn:
        arguments["executionRoleArn"] = settings.execution_role_arn
    if settings.task_role_arn:
        arguments["taskRoleArn"] = settings.task_role_arn
    return arguments
