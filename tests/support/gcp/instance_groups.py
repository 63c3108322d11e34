"""Instance groups, regional (``regionInstanceGroups``) and zonal (``instanceGroups``): the groups
MIGs expose to load balancers.

They are not stored separately: each is the view of a managed instance group (same name and
scope, ``instanceGroups`` collection), which is what backend services reference in
``backends[].group``. Modelled: get, list, listInstances and setNamedPorts in either scope.
Their one writable part is the named ports (``setNamedPorts``: names RFC 1035 and unique, ports
1-65535, an optional ``fingerprint`` refused with 412 when stale); the MIG's own ``namedPorts`` is
output only (GCE ignores it on insert) and shows the group's. A backend service reaches a group
only through the port its ``portName`` names (``routing.receivers``). Unmanaged instance groups
are not modelled.
"""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from .crud import Mutation, page
from .errors import condition_not_met, invalid, not_found
from .instances import Fleet
from .store import (
    Store,
    check_name,
    last,
    link,
    new_fingerprint,
    region_url,
    scope_path,
    short,
    zone_url,
)


class InstanceGroups:
    """Both scopes: a request with a ``zone`` is zonal, one with a ``region`` regional."""

    def __init__(self, store: Store, fleet: Fleet) -> None:
        self.store = store
        self.fleet = fleet
        self.fingerprints: dict[str, str] = {}

    def reset(self) -> None:
        self.fingerprints.clear()

    def manager_of(self, group_link: str) -> compute_v1.InstanceGroupManager:
        for resource in self.store.resources.values():
            if (
                isinstance(resource, compute_v1.InstanceGroupManager)
                and resource.instance_group == group_link
            ):
                return resource
        raise not_found(short(group_link))

    def group(self, manager: compute_v1.InstanceGroupManager) -> compute_v1.InstanceGroup:
        project = manager.self_link.split("/projects/")[1].split("/")[0]
        group = compute_v1.InstanceGroup(
            kind="compute#instanceGroup",
            id=manager.id,
            name=manager.name,
            self_link=manager.instance_group,
            creation_timestamp=manager.creation_timestamp,
            size=len(self.fleet.members(manager.self_link)),
            named_ports=list(manager.named_ports),
            fingerprint=self._fingerprint(manager),
        )
        if manager.zone:
            group.zone = zone_url(project, last(manager.zone))
        else:
            group.region = region_url(project, last(manager.region))
        return group

    def _fingerprint(self, manager: compute_v1.InstanceGroupManager) -> str:
        """The group's own fingerprint (of its named ports), which ``setNamedPorts`` checks."""
        return self.fingerprints.setdefault(manager.self_link, new_fingerprint())

    @staticmethod
    def _scope(request: Any) -> str:
        zone = request.zone if "zone" in type(request).meta.fields else None
        region = None if zone else request.region
        return scope_path(request.project, region, zone)

    def _link(self, request: Any) -> str:
        return link(self._scope(request), "instanceGroups", request.instance_group)

    def get(self, request: Any, keys: set[str]) -> compute_v1.InstanceGroup:
        return self.group(self.manager_of(self._link(request)))

    def list(self, request: Any, keys: set[str]) -> Any:
        prefix = link(self._scope(request), "instanceGroups", "")
        groups = sorted(
            (
                self.group(r)
                for r in self.store.resources.values()
                if isinstance(r, compute_v1.InstanceGroupManager)
                and r.instance_group.startswith(prefix)
            ),
            key=lambda g: g.name,
        )
        chunk, token = page(groups, request)
        zonal = "/zones/" in prefix
        result = (compute_v1.InstanceGroupList if zonal else compute_v1.RegionInstanceGroupList)(
            kind="compute#instanceGroupList" if zonal else "compute#regionInstanceGroupList",
            self_link=prefix.rstrip("/"),
            items=chunk,
        )
        if token:
            result.next_page_token = token
        return result

    def list_instances(self, request: Any, keys: set[str]) -> Any:
        manager = self.manager_of(self._link(request))
        zonal = bool(manager.zone)
        body = (
            request.instance_groups_list_instances_request_resource
            if zonal
            else request.region_instance_groups_list_instances_request_resource
        )
        state = body.instance_state or "ALL"
        if state not in ("ALL", "RUNNING"):
            raise invalid(f"Invalid value for field 'instanceState': '{state}'.")
        items = []
        for vm in self.fleet.members(manager.self_link):
            status = self.fleet.state(vm)[0]
            if state == "RUNNING" and status != "RUNNING":
                continue
            items.append(
                compute_v1.InstanceWithNamedPorts(
                    instance=vm.self_link, status=status, named_ports=list(manager.named_ports)
                )
            )
        chunk, token = page(items, request)
        result = (
            compute_v1.InstanceGroupsListInstances(
                kind="compute#instanceGroupsListInstances", items=chunk
            )
            if zonal
            else compute_v1.RegionInstanceGroupsListInstances(
                kind="compute#regionInstanceGroupsListInstances", items=chunk
            )
        )
        if token:
            result.next_page_token = token
        return result

    def set_named_ports(self, request: Any, keys: set[str]) -> Mutation:
        manager = self.manager_of(self._link(request))
        body = (
            request.instance_groups_set_named_ports_request_resource
            if manager.zone
            else request.region_instance_groups_set_named_ports_request_resource
        )
        if "fingerprint" in body and body.fingerprint != self._fingerprint(manager):
            raise condition_not_met()
        seen: set[str] = set()
        for index, port in enumerate(body.named_ports):
            check_name(port.name, f"namedPorts[{index}].name")
            if port.name in seen:
                raise invalid(
                    f"Invalid value for field 'namedPorts[{index}].name': '{port.name}'. "
                    "Duplicate named port."
                )
            seen.add(port.name)
            if not 1 <= port.port <= 65535:
                raise invalid(
                    f"Invalid value for field 'namedPorts[{index}].port': '{port.port}'. "
                    "Must be in [1, 65535]."
                )
        ports = [compute_v1.NamedPort(name=p.name, port=p.port) for p in body.named_ports]

        def apply() -> int:
            manager.named_ports = ports
            self.fingerprints[manager.self_link] = new_fingerprint()
            return int(manager.id)

        return Mutation("compute.instanceGroups.setNamedPorts", manager.instance_group, apply)

    def handlers(self) -> dict[str, Any]:
        return {
            f"{prefix}.{method}": handler
            for prefix in ("regionInstanceGroups", "instanceGroups")
            for method, handler in (
                ("setNamedPorts", self.set_named_ports),
                ("get", self.get),
                ("list", self.list),
                ("listInstances", self.list_instances),
            )
        }
