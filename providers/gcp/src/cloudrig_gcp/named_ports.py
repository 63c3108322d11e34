"""Named ports: the ports a group's load balancers reach it on.

A proxy backend service sends traffic to the port its ``portName`` names on each backend instance
group, so a group without it receives nothing while its health checks (on an explicit port) look
green. The ports are set on the instance group (``regionInstanceGroups.setNamedPorts`` or, for a
zonal group, ``instanceGroups.setNamedPorts``); a MIG's own ``namedPorts`` is output only and
mirrors its instance group's, so a listing shows what a group carries at no cost.

Set at create, right after the MIG insert (``launch``), and completed when a group goes back into
traffic (enable, or a traffic weight above 0) if it lacks one: a group made before cloudrig set
named ports would otherwise get nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudrig import InvalidSpec
from cloudrig_gcp import metadata
from cloudrig_gcp.backends import Read, ServiceRef, routes_by_port_name
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.locations import Location

if TYPE_CHECKING:
    from cloudrig_gcp.server_groups import GcpServerGroups


def wanted_ports(services: dict[str, tuple[ServiceRef, Read]]) -> dict[str, int]:
    """{port name: port} the group must carry for its load balancers' services: the port the
    load balancer's spec targets (recorded in the service's description by cloudrig). Two
    services naming one port name with different ports, or a service cloudrig did not make
    (its port unknown), are refused before anything is created."""
    from cloudrig_gcp.load_balancers import target_port

    out: dict[str, int] = {}
    for lb, (ref, read) in services.items():
        service = read.service
        if not routes_by_port_name(service, ref.region is not None):
            continue
        port = target_port(service)
        if port is None:
            raise InvalidSpec(
                f"load balancer {lb!r}: backend service {service.name!r} routes to the named "
                f"port {service.port_name!r}, whose number cloudrig cannot know (the service "
                "was not made by cloudrig): upsert the load balancer through cloudrig",
                provider="gcp",
            )
        if out.get(service.port_name, port) != port:
            raise InvalidSpec(
                f"load balancers name the port {service.port_name!r} with two numbers "
                f"({out[service.port_name]} and {port}): one group cannot serve both",
                provider="gcp",
            )
        out[service.port_name] = port
    return out


class NamedPorts:
    def __init__(self, clients: ComputeClients, groups: GcpServerGroups) -> None:
        self.clients = clients
        self.groups = groups

    def set(
        self, where: Location, name: str, ports: dict[str, int], *, request_id: str | None
    ) -> None:
        """The instance group's named ports. With a ``request_id`` (a fresh create, which knows
        the group has none) they are written at once; without, the group is read first, left
        alone when it has them, else written with the ports it has, under its fingerprint."""
        from google.cloud import compute_v1

        if not ports:
            return
        wanted = [compute_v1.NamedPort(name=n, port=p) for n, p in sorted(ports.items())]
        fingerprint = None
        if request_id is None:
            group = self.clients.read(
                where.groups, "get", instance_group=name, resource=name, **where.scope
            )
            have = {p.name: p.port for p in group.named_ports}
            if all(have.get(n) == p for n, p in ports.items()):
                return
            wanted = [
                compute_v1.NamedPort(name=n, port=p) for n, p in sorted((have | ports).items())
            ]
            fingerprint = group.fingerprint
        self.clients.mutate(
            where.groups,
            "set_named_ports",
            resource=name,
            request_id=request_id,
            instance_group=name,
            **where.named_ports(wanted, fingerprint),
            **where.scope,
        )

    def complete(self, manager: Any, services: dict[str, tuple[ServiceRef, Read]]) -> None:
        """Before a group goes back into traffic: the ports its services route to, when the MIG
        lacks one. Ports cloudrig cannot know (a service it did not make) are left as they are,
        with a warning."""
        try:
            wanted = wanted_ports(services)
        except InvalidSpec as unknown:
            self.clients.logger.warning(
                "%s: named ports left as they are: %s", manager.name, unknown
            )
            return
        have = {p.name: p.port for p in manager.named_ports}
        if any(have.get(n) != p for n, p in wanted.items()):
            where = Location.of(manager)
            self.set(where, manager.name, wanted, request_id=None)
            self.groups.invalidate(where.region)

    def complete_from_listing(self, region: str, manager: Any) -> None:
        """``complete`` with the services from their cached listings: nothing is read or
        written for a group that has its ports (traffic weights)."""
        facts = metadata.parse(manager.description)
        services: dict[str, tuple[ServiceRef, Read]] = {}
        for lb, ref in (facts.services(region) if facts else {}).items():
            service = self.groups.backends.snapshot(ref.region).get(ref.name)
            if service is not None:
                services[lb] = (ref, Read(service, 0))
        self.complete(manager, services)
