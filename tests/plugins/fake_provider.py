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
    CreateServerGroup,
    Instance,
    LoadBalancer,
    LoadBalancerSpec,
    NotFound,
    PermissionDenied,
    Provider,
    SecurityGroup,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupMetadata,
)


class EmptyCloud(Provider[Any]):
    def _refuse(self, what: str) -> PermissionDenied:
        return PermissionDenied(f"the empty cloud is read-only: cannot {what}")

    def _missing(self, what: str, name: str) -> NotFound:
        return NotFound(f"{what} {name!r} does not exist", resource=name)

    def create_server_group(self, request: CreateServerGroup) -> ServerGroup:
        raise self._refuse(f"create {request.name}")

    def get_server_group(self, region: str, name: str) -> ServerGroup:
        raise self._missing("server group", name)

    def list_server_groups(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return []

    def resize_server_group(self, region: str, name: str, capacity: Capacity) -> None:
        raise self._missing("server group", name)

    def enable_server_group(self, region: str, name: str) -> None:
        raise self._missing("server group", name)

    def disable_server_group(self, region: str, name: str) -> None:
        raise self._missing("server group", name)

    def destroy_server_group(self, region: str, name: str) -> None:
        return None

    def get_health(self, region: str, name: str) -> tuple[Instance, ...]:
        raise self._missing("server group", name)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        raise self._missing("server group", name)

    def upsert_load_balancer(self, spec: LoadBalancerSpec, settings: BaseModel) -> LoadBalancer:
        raise self._refuse(f"upsert load balancer {spec.name}")

    def get_load_balancer(self, region: str, name: str) -> LoadBalancer:
        raise self._missing("load balancer", name)

    def list_load_balancers(self, region: str | None = None) -> list[LoadBalancer]:
        return []

    def delete_load_balancer(self, region: str, name: str) -> None:
        return None

    def upsert_security_group(self, spec: SecurityGroupSpec, settings: BaseModel) -> SecurityGroup:
        raise self._refuse(f"upsert security group {spec.name}")

    def get_security_group(self, region: str, name: str) -> SecurityGroup:
        raise self._missing("security group", name)

    def list_security_groups(self, region: str | None = None) -> list[SecurityGroup]:
        return []

    def delete_security_group(self, region: str, name: str) -> None:
        return None

    def check(self) -> CheckResult:
        if getattr(self.settings, "fail_check", False):
            raise PermissionDenied(
                "the empty cloud refused the credentials", account=self.context.account
            )
        return CheckResult(identity=f"empty-cloud:{self.context.account}")
