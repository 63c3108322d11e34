"""VMs of managed instance groups: their lifecycle over (controllable) time, health, and ``instances.*``.

A MIG instance is created PROVISIONING (currentAction CREATING), becomes STAGING after
``provisioning_seconds`` and RUNNING (currentAction NONE) after ``staging_seconds`` more; a removed
instance is STOPPING (currentAction DELETING) for ``deleting_seconds`` and then gone. States are
computed from the emulator clock when read, so tests step them with ``clock.advance``. Each VM keeps
a snapshot of its template's properties (network tags, labels, machine type, network), as a
real VM does after its template changes or is deleted.
"""

from __future__ import annotations

import ipaddress
import itertools
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from google.cloud import compute_v1

from .crud import page
from .errors import invalid, not_found
from .store import Store, last, link, scope_path, short, zone_url

_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
HEALTH_STATES = ("HEALTHY", "UNHEALTHY")


@dataclass
class VM:
    """One VM created by a managed instance group."""

    name: str
    project: str
    zone: str
    id: int
    manager: str
    template: str
    version_name: str
    properties: compute_v1.InstanceProperties
    network_ip: str
    created_at: float
    creation_timestamp: str
    deleting_since: float | None = None
    forced_status: str | None = field(default=None)

    @property
    def self_link(self) -> str:
        return link(scope_path(self.project, zone=self.zone), "instances", self.name)


class Fleet:
    """Every MIG-created VM; timings and health are the knobs tests turn."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.vms: dict[str, VM] = {}
        self._health: dict[tuple[str | None, str], str] = {}
        self._addresses = itertools.count(2)
        self.reset()

    def reset(self) -> None:
        self.vms.clear()
        self._health.clear()
        self._addresses = itertools.count(2)
        self.provisioning_seconds = 1.0
        self.staging_seconds = 1.0
        self.deleting_seconds = 1.0
        self.default_health = "HEALTHY"

    # -- lifecycle -------------------------------------------------------------------------------

    def create(
        self,
        *,
        manager: str,
        project: str,
        zone: str,
        base_name: str,
        template: str,
        version_name: str = "",
    ) -> VM:
        template_resource = self.store.resources[template]
        assert isinstance(template_resource, compute_v1.InstanceTemplate)
        while True:
            name = f"{base_name}-{''.join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(4))}"
            if link(scope_path(project, zone=zone), "instances", name) not in self.vms:
                break
        vm = VM(
            name=name,
            project=project,
            zone=zone,
            id=self.store.new_id(),
            manager=manager,
            template=template,
            version_name=version_name,
            properties=compute_v1.InstanceProperties(template_resource.properties),
            network_ip=str(ipaddress.ip_address("10.128.0.0") + next(self._addresses)),
            created_at=self.store.clock.now(),
            creation_timestamp=self.store.timestamp(),
        )
        self.vms[vm.self_link] = vm
        return vm

    def start_deleting(self, vm: VM) -> None:
        if vm.deleting_since is None:
            vm.deleting_since = self.store.clock.now()

    def remove_group(self, manager: str) -> None:
        for key in [k for k, vm in self.vms.items() if vm.manager == manager]:
            del self.vms[key]

    def members(self, manager: str, *, include_deleting: bool = True) -> list[VM]:
        """The group's VMs in creation order, after dropping those whose deletion finished."""
        now = self.store.clock.now()
        for key, vm in list(self.vms.items()):
            if vm.deleting_since is not None and now >= vm.deleting_since + self.deleting_seconds:
                del self.vms[key]
        return sorted(
            (
                vm
                for vm in self.vms.values()
                if vm.manager == manager and (include_deleting or vm.deleting_since is None)
            ),
            key=lambda vm: vm.created_at,
        )

    def state(self, vm: VM) -> tuple[str, str]:
        """``(instanceStatus, currentAction)`` now."""
        if vm.deleting_since is not None:
            return "STOPPING", "DELETING"
        if vm.forced_status is not None:
            return vm.forced_status, "NONE"
        age = self.store.clock.now() - vm.created_at
        if age < self.provisioning_seconds:
            return "PROVISIONING", "CREATING"
        if age < self.provisioning_seconds + self.staging_seconds:
            return "STAGING", "CREATING"
        return "RUNNING", "NONE"

    def find(self, instance: str) -> VM:
        """A VM by name or URL (test controls)."""
        for vm in self.vms.values():
            if instance in (vm.name, vm.self_link):
                return vm
        raise KeyError(f"no emulated instance {instance!r}")

    # -- health ----------------------------------------------------------------------------------

    def set_health(self, instance: str, state: str, backend_service: str | None = None) -> None:
        if state not in HEALTH_STATES:
            raise ValueError(f"health state must be one of {HEALTH_STATES}")
        self._health[(backend_service, self.find(instance).name)] = state

    def health(self, vm: VM, backend_service_name: str) -> str:
        """UNHEALTHY unless RUNNING; then the per-service, per-VM or default setting."""
        if self.state(vm)[0] != "RUNNING":
            return "UNHEALTHY"
        for key in ((backend_service_name, vm.name), (None, vm.name)):
            if key in self._health:
                return self._health[key]
        return self.default_health

    # -- instances.get / instances.list ------------------------------------------------------------

    def instance(self, vm: VM) -> compute_v1.Instance:
        props = vm.properties
        status, _ = self.state(vm)
        nics = [
            compute_v1.NetworkInterface(
                name=f"nic{index}",
                network=nic.network or link(f"projects/{vm.project}/global", "networks", "default"),
                network_i_p=vm.network_ip,
            )
            for index, nic in enumerate(props.network_interfaces or [compute_v1.NetworkInterface()])
        ]
        metadata_items = [
            *list(props.metadata.items),
            compute_v1.Items(key="instance-template", value=vm.template),
            compute_v1.Items(key="created-by", value=vm.manager),
        ]
        return compute_v1.Instance(
            kind="compute#instance",
            id=vm.id,
            name=vm.name,
            zone=zone_url(vm.project, vm.zone),
            self_link=vm.self_link,
            creation_timestamp=vm.creation_timestamp,
            status=status,
            machine_type=zone_url(vm.project, vm.zone)
            + f"/machineTypes/{last(props.machine_type)}",
            tags=compute_v1.Tags(items=list(props.tags.items)),
            labels=dict(props.labels),
            network_interfaces=nics,
            metadata=compute_v1.Metadata(items=metadata_items),
        )

    def get_instance(self, request: compute_v1.GetInstanceRequest) -> compute_v1.Instance:
        key = link(scope_path(request.project, zone=request.zone), "instances", request.instance)
        vm = self.vms.get(key)
        if vm is None or vm not in self._live(request.project, request.zone):
            raise not_found(short(key))
        return self.instance(vm)

    def list_instances(self, request: compute_v1.ListInstancesRequest) -> compute_v1.InstanceList:
        items = [self.instance(vm) for vm in self._live(request.project, request.zone)]
        items.sort(key=lambda i: i.name)
        chunk, token = page(items, request)
        prefix = link(scope_path(request.project, zone=request.zone), "instances", "")
        result = compute_v1.InstanceList(
            kind="compute#instanceList", self_link=prefix.rstrip("/"), items=chunk
        )
        if token:
            result.next_page_token = token
        return result

    def _live(self, project: str, zone: str) -> list[VM]:
        managers = {vm.manager for vm in self.vms.values()}
        alive = [vm for manager in managers for vm in self.members(manager)]
        return [vm for vm in alive if vm.project == project and vm.zone == zone]

    def handlers(self) -> dict[str, Any]:
        return {
            "instances.get": lambda req, keys: self.get_instance(req),
            "instances.list": lambda req, keys: self.list_instances(req),
        }


def zone_of(zone_reference: str, region: str) -> str:
    """The zone name of a distribution-policy entry, refused unless it is in ``region``."""
    zone = last(zone_reference)
    if zone.rsplit("-", 1)[0] != region:
        raise invalid(
            f"Invalid value for field 'resource.distributionPolicy.zones': '{zone_reference}'. Zone must be in region '{region}'."
        )
    return zone
