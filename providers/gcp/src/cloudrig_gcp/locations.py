"""Where a server group lives: a region (a regional MIG), or one zone of it (a zonal MIG).

GCE has two families of the same resources: ``regionInstanceGroupManagers``,
``regionInstanceGroups`` and ``regionAutoscalers`` take a ``region``; ``instanceGroupManagers``,
``instanceGroups`` and ``autoscalers`` take a ``zone``. A ``Location`` picks the client class and
the scope fields of each call, so the nouns say what they do once for both. A group's location is
read from the group itself (a MIG's ``zone`` or ``region``), never stored: the one listing
(``instanceGroupManagers.aggregatedList``) answers both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def _short(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def region_of(zone: str) -> str:
    """``us-central1-a`` → ``us-central1`` (GCE's zone names are the region's plus a suffix)."""
    return zone.rsplit("-", 1)[0]


@dataclass(frozen=True)
class Location:
    region: str
    zone: str | None = None

    @classmethod
    def of(cls, resource: Any) -> Location:
        """A MIG's or an autoscaler's location, from its ``zone`` or ``region`` URL."""
        if resource.zone:
            zone = _short(resource.zone)
            return cls(region_of(zone), zone)
        return cls(_short(resource.region))

    @property
    def scope(self) -> dict[str, Any]:
        """The scope field of a call: ``{"zone": …}`` or ``{"region": …}``."""
        return {"zone": self.zone} if self.zone else {"region": self.region}

    def path(self, project: str) -> str:
        """``projects/p/zones/z`` or ``projects/p/regions/r``."""
        where = f"zones/{self.zone}" if self.zone else f"regions/{self.region}"
        return f"projects/{project}/{where}"

    def _client(self, zonal: str, regional: str) -> type:
        found: type = getattr(_compute(), zonal if self.zone else regional)
        return found

    @property
    def managers(self) -> type:
        return self._client("InstanceGroupManagersClient", "RegionInstanceGroupManagersClient")

    @property
    def groups(self) -> type:
        return self._client("InstanceGroupsClient", "RegionInstanceGroupsClient")

    @property
    def autoscalers(self) -> type:
        return self._client("AutoscalersClient", "RegionAutoscalersClient")

    def named_ports(self, ports: list[Any], fingerprint: str | None) -> dict[str, Any]:
        """The body field of ``setNamedPorts`` (its message differs by scope)."""
        compute_v1 = _compute()
        if self.zone:
            body = compute_v1.InstanceGroupsSetNamedPortsRequest(named_ports=ports)
            field = "instance_groups_set_named_ports_request_resource"
        else:
            body = compute_v1.RegionInstanceGroupsSetNamedPortsRequest(named_ports=ports)
            field = "region_instance_groups_set_named_ports_request_resource"
        if fingerprint:
            body.fingerprint = fingerprint
        return {field: body}
