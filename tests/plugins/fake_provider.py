"""An empty, read-only cloud: the smallest complete provider implementation.

The tests copy this file into a temporary site directory under the module name they need, next to
generated descriptor modules, so every test gets fresh modules. Nothing exists in this cloud: reads
find nothing, deletes succeed (already gone), writes are refused. ``check`` answers with an identity
unless the account's settings say ``fail_check: true``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cloudrig import (
    Capacity,
    CheckResult,
    Instance,
    LoadBalancer,
    LoadBalancerSpec,
    NotFound,
    PermissionDenied,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
)
from cloudrig.provider import (
    CreateServerGroup,
    LoadBalancers,
    Provider,
    SecurityGroups,
    ServerGroupMetadata,
    ServerGroups,
)


def _refuse(what: str) -> PermissionDenied:
    return PermissionDenied(f"the empty cloud is read-only: cannot {what}")


def _missing(what: str, name: str) -> NotFound:
    return NotFound(f"{what} {name!r} does not exist", resource=name)


class EmptyServerGroups(ServerGroups[Any]):
    def create(self, request: CreateServerGroup[Any]) -> ServerGroup:
        raise _refuse(f"create {request.name}")

    def get(self, region: str, name: str) -> ServerGroup:
        raise _missing("server group", name)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return []

    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        raise _missing("server group", name)

    def enable(self, region: str, name: str) -> None:
        raise _missing("server group", name)

    def disable(self, region: str, name: str) -> None:
        raise _missing("server group", name)

    def destroy(self, region: str, name: str) -> None:
        return None

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        raise _missing("server group", name)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        raise _missing("server group", name)


class EmptyLoadBalancers(LoadBalancers[BaseModel]):
    def upsert(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer:
        raise _refuse(f"upsert load balancer {spec.name}")

    def get(self, region: str, name: str) -> LoadBalancer:
        raise _missing("load balancer", name)

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        return []

    def delete(self, region: str, name: str) -> None:
        return None


class EmptySecurityGroups(SecurityGroups[BaseModel]):
    def upsert(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        raise _refuse(f"upsert security group {spec.name}")

    def get(self, region: str, name: str) -> SecurityGroup:
        raise _missing("security group", name)

    def list(self, region: str | None = None) -> list[SecurityGroup]:
        return []

    def delete(self, region: str, name: str) -> None:
        return None


class EmptyCloud(Provider[Any]):
    server_groups: EmptyServerGroups
    load_balancers: EmptyLoadBalancers
    security_groups: EmptySecurityGroups

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.server_groups = EmptyServerGroups()
        self.load_balancers = EmptyLoadBalancers()
        self.security_groups = EmptySecurityGroups()

    def check(self) -> CheckResult:
        if getattr(self.settings, "fail_check", False):
            raise PermissionDenied(
                "the empty cloud refused the credentials", account=self.context.account
            )
        return CheckResult(identity=f"empty-cloud:{self.context.account}")
