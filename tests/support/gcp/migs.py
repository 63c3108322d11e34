"""Managed instance groups, regional (``regionInstanceGroupManagers``) and zonal
(``instanceGroupManagers``), and their ``aggregatedList``.

Modelled: insert (instanceTemplate or versions[0], targetSize, baseInstanceName at most 58
characters, distributionPolicy zones (regional groups; a zonal group ignores it), at most one autoHealingPolicies entry whose
health check exists, initialDelaySec 0-3600; stored, never run: no VM is recreated), get, list,
resize, setInstanceTemplate (regional), delete, listManagedInstances, and
``instanceGroupManagers.aggregatedList`` (zonal and regional groups alike, keyed by scope).
A regional instance template serves only groups of its own region (a zonal group: its zone's).
A resize up creates VMs at once, spread over the zones (fewest first; a zonal group's all in its
zone); a resize down moves the newest VMs of the fullest zones to DELETING. setInstanceTemplate
changes only future VMs (GCE needs an update policy or applyUpdatesToInstances to touch existing
ones; neither is modelled).
"""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation, aggregated, page
from .errors import in_use, invalid
from .instances import Fleet, zone_of
from .store import Store, check_name, last, link, new_fingerprint, resolve, short, zone_url

MAX_BASE_INSTANCE_NAME = 58
"""The InstanceGroupManager reference: GCE appends a 4-character suffix to reach 63."""


class InstanceGroupManagers:
    """The regional collection, or (``zonal``) the zonal one."""

    def __init__(self, store: Store, fleet: Fleet, *, zonal: bool = False) -> None:
        self.store = store
        self.fleet = fleet
        self.zonal = zonal
        self.prefix = "instanceGroupManagers." if zonal else "regionInstanceGroupManagers."
        self.collection = Collection(
            store,
            collection="instanceGroupManagers",
            message=compute_v1.InstanceGroupManager,
            list_message=(
                compute_v1.InstanceGroupManagerList
                if zonal
                else compute_v1.RegionInstanceGroupManagerList
            ),
            kind="compute#instanceGroupManager",
            name_field="instance_group_manager",
            body_field="instance_group_manager_resource",
            regional=not zonal,
            zonal=zonal,
        )

    def _region(self, request: Any) -> str:
        return str(request.zone).rsplit("-", 1)[0] if self.zonal else str(request.region)

    # -- helpers ---------------------------------------------------------------------------------

    def _template(self, reference: str, request: Any, field: str) -> str:
        if not reference:
            raise invalid(f"Required field '{field}' not specified")
        region = self._region(request)
        url = resolve(reference, request.project, region)
        self.store.get(url, compute_v1.InstanceTemplate)  # 404 notFound, synchronous like GCE
        if "/regions/" in url and f"/regions/{region}/" not in url:
            raise invalid(
                f"Invalid value for field '{field}': '{reference}'. A regional instance template "
                f"can only be used in its own region, not in '{region}'."
            )
        return url

    def _scale(self, manager: compute_v1.InstanceGroupManager, size: int) -> None:
        project = manager.self_link.split("/projects/")[1].split("/")[0]
        zones = [last(z.zone) for z in manager.distribution_policy.zones] or [last(manager.zone)]
        alive = self.fleet.members(manager.self_link, include_deleting=False)
        while len(alive) < size:
            per_zone = {z: sum(vm.zone == z for vm in alive) for z in zones}
            zone = min(zones, key=lambda z: (per_zone[z], zones.index(z)))
            alive.append(
                self.fleet.create(
                    manager=manager.self_link,
                    project=project,
                    zone=zone,
                    base_name=manager.base_instance_name,
                    template=manager.instance_template,
                    version_name=manager.versions[0].name if manager.versions else "",
                )
            )
        while len(alive) > size:
            per_zone = {z: sum(vm.zone == z for vm in alive) for z in zones}
            zone = max(zones, key=lambda z: per_zone[z])
            victim = [vm for vm in alive if vm.zone == zone][-1]
            self.fleet.start_deleting(victim)
            alive.remove(victim)

    def view(self, manager: compute_v1.InstanceGroupManager) -> compute_v1.InstanceGroupManager:
        """The stored manager with its read-time fields (currentActions, status) filled in."""
        shown = compute_v1.InstanceGroupManager(manager)
        actions = {vm_action: 0 for vm_action in ("creating", "deleting", "none")}
        for vm in self.fleet.members(manager.self_link):
            action = self.fleet.state(vm)[1].lower()
            actions[action] = actions.get(action, 0) + 1
        shown.current_actions = compute_v1.InstanceGroupManagerActionsSummary(
            abandoning=0,
            creating=actions["creating"],
            creating_without_retries=0,
            deleting=actions["deleting"],
            none=actions["none"],
            recreating=0,
            refreshing=0,
            restarting=0,
            resuming=0,
            starting=0,
            stopping=0,
            suspending=0,
            verifying=0,
        )
        stable = actions["none"] == sum(actions.values())
        shown.status = compute_v1.InstanceGroupManagerStatus(
            is_stable=stable,
            version_target=compute_v1.InstanceGroupManagerStatusVersionTarget(is_reached=stable),
        )
        return shown

    # -- methods ---------------------------------------------------------------------------------

    def insert(self, request: Any, keys: set[str]) -> Mutation:
        manager = self.collection.body(request)
        check_name(manager.name)
        if "target_size" not in manager:
            raise invalid("Required field 'resource.targetSize' not specified")
        if manager.target_size < 0:
            raise invalid(
                f"Invalid value for field 'resource.targetSize': '{manager.target_size}'."
            )
        if not manager.base_instance_name:
            raise invalid("Required field 'resource.baseInstanceName' not specified")
        check_name(manager.base_instance_name, "resource.baseInstanceName")
        if len(manager.base_instance_name) > MAX_BASE_INSTANCE_NAME:
            raise invalid(
                "Invalid value for field 'resource.baseInstanceName': "
                f"'{manager.base_instance_name}'. At most {MAX_BASE_INSTANCE_NAME} characters."
            )
        if len(manager.auto_healing_policies) > 1:
            raise invalid(
                "Invalid value for field 'resource.autoHealingPolicies': only one autohealing "
                "policy can be specified."
            )
        for policy in manager.auto_healing_policies:
            policy.health_check = resolve(policy.health_check, request.project)
            self.store.get(policy.health_check, compute_v1.HealthCheck)  # 404 when missing
            if not 0 <= policy.initial_delay_sec <= 3600:
                raise invalid(
                    "Invalid value for field 'resource.autoHealingPolicies[0].initialDelaySec': "
                    f"'{policy.initial_delay_sec}'. Must be in [0, 3600]."
                )
        reference = manager.instance_template or (
            manager.versions[0].instance_template if manager.versions else ""
        )
        manager.instance_template = self._template(reference, request, "resource.instanceTemplate")
        if manager.versions:
            for version in manager.versions:
                version.instance_template = self._template(
                    version.instance_template, request, "resource.versions.instanceTemplate"
                )
        else:
            manager.versions = [
                compute_v1.InstanceGroupManagerVersion(instance_template=manager.instance_template)
            ]
        if self.zonal:  # a regional group's field: a zonal group's VMs are all in its zone
            del manager.distribution_policy
        else:
            zones = [
                zone_of(z.zone, request.region) for z in manager.distribution_policy.zones
            ] or [f"{request.region}-{suffix}" for suffix in "abc"]
            manager.distribution_policy = compute_v1.DistributionPolicy(
                target_shape=manager.distribution_policy.target_shape or "EVEN",
                zones=[
                    compute_v1.DistributionPolicyZoneConfiguration(
                        zone=zone_url(request.project, z)
                    )
                    for z in zones
                ],
            )
        manager.fingerprint = new_fingerprint()
        manager.named_ports = []  # output only: set on the instance group (setNamedPorts)
        mutation = self.collection.insert(request, manager)
        manager.instance_group = link(
            self.collection.scope(request), "instanceGroups", manager.name
        )
        created = mutation.apply

        def apply() -> int | None:
            target_id = created()
            self._scale(manager, manager.target_size)
            return target_id

        mutation.apply = apply
        return mutation

    def get(self, request: Any, keys: set[str]) -> compute_v1.InstanceGroupManager:
        return self.view(self.collection.get(request))

    def list(self, request: Any, keys: set[str]) -> Any:
        result = self.collection.list(request)
        result.items = [self.view(m) for m in result.items]
        return result

    def resize(self, request: Any, keys: set[str]) -> Mutation:
        manager = self.collection.get(request)
        if request.size < 0:
            raise invalid(
                f"Invalid value for field 'size': '{request.size}'. Must be greater than or equal to 0"
            )

        def apply() -> int:
            manager.target_size = request.size
            manager.fingerprint = new_fingerprint()
            self._scale(manager, request.size)
            return int(manager.id)

        return Mutation(f"compute.{self.prefix}resize", manager.self_link, apply)

    def set_instance_template(self, request: Any, keys: set[str]) -> Mutation:
        manager = self.collection.get(request)
        body = request.region_instance_group_managers_set_template_request_resource
        template = self._template(body.instance_template, request, "instanceTemplate")

        def apply() -> int:
            manager.instance_template = template
            manager.versions = [compute_v1.InstanceGroupManagerVersion(instance_template=template)]
            manager.fingerprint = new_fingerprint()
            return int(manager.id)

        return Mutation(
            "compute.regionInstanceGroupManagers.setInstanceTemplate", manager.self_link, apply
        )

    def delete(self, request: Any, keys: set[str]) -> Mutation:
        def refuse_if_backend(manager: compute_v1.InstanceGroupManager) -> None:
            for resource in self.store.resources.values():
                if isinstance(resource, compute_v1.BackendService) and any(
                    b.group == manager.instance_group for b in resource.backends
                ):
                    raise in_use(
                        "instance_group", short(manager.instance_group), short(resource.self_link)
                    )

        mutation = self.collection.delete(request, refuse_if_backend)
        removed = mutation.apply

        def apply() -> int | None:
            self.fleet.remove_group(mutation.target_link)
            return removed()

        mutation.apply = apply
        return mutation

    def list_managed_instances(self, request: Any, keys: set[str]) -> Any:
        manager = self.collection.get(request)
        managed = []
        for vm in self.fleet.members(manager.self_link):
            status, action = self.fleet.state(vm)
            managed.append(
                compute_v1.ManagedInstance(
                    instance=vm.self_link,
                    id=vm.id,
                    name=vm.name,
                    instance_status=status,
                    current_action=action,
                    version=compute_v1.ManagedInstanceVersion(
                        instance_template=vm.template,
                        **({"name": vm.version_name} if vm.version_name else {}),
                    ),
                )
            )
        chunk, token = page(managed, request)
        response = (
            compute_v1.InstanceGroupManagersListManagedInstancesResponse(managed_instances=chunk)
            if self.zonal
            else compute_v1.RegionInstanceGroupManagersListInstancesResponse(
                managed_instances=chunk
            )
        )
        if token:
            response.next_page_token = token
        return response

    def aggregated_list(self, request: Any, keys: set[str]) -> Any:
        return aggregated(
            self.store,
            request,
            message=compute_v1.InstanceGroupManager,
            collection="instanceGroupManagers",
            list_message=compute_v1.InstanceGroupManagerAggregatedList,
            scoped_message=compute_v1.InstanceGroupManagersScopedList,
            field="instance_group_managers",
            shown=self.view,
        )

    def handlers(self) -> dict[str, Any]:
        prefix = self.prefix
        handlers = {
            prefix + "insert": self.insert,
            prefix + "get": self.get,
            prefix + "list": self.list,
            prefix + "resize": self.resize,
            prefix + "delete": self.delete,
            prefix + "listManagedInstances": self.list_managed_instances,
        }
        if self.zonal:
            handlers[prefix + "aggregatedList"] = self.aggregated_list
        else:
            handlers[prefix + "setInstanceTemplate"] = self.set_instance_template
        return handlers
