"""Creating a server group: a regional instance template, then a MIG, same name — regional, or
zonal in the one zone ``settings.zone`` names (in the spec's region: the regional template serves
it) — then the instance group's named ports, then its place in each load balancer's backend
service.

Each load balancer's service is read first (global, else regional: where it is goes into the
facts), the ports it names are set on the new group (``named_ports``), and the same read's
fingerprint carries the backend ``patch``.

Both inserts carry the facts (``metadata``) in their descriptions and a deterministic
``requestId`` (derived from the account, name and deployment id), so a retried or resumed create
never makes a second group: GCE answers a repeated request id with the first operation. No MIG is
looked up first (the core has just checked that the name is free): an insert that meets an
existing template or MIG (a crash between the calls, a resumed create, or a hash collision of two
monikers) reads it; the same moniker and deployment id is adopted and completed (named ports,
autoscaler, backends), anything else is a ``Conflict`` (and a template this create just made is
deleted again).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cloudrig import Conflict, InvalidSpec, ServerGroup
from cloudrig.provider import CreateServerGroup
from cloudrig_gcp import metadata
from cloudrig_gcp.autoscalers import Policy, needs_bounds
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.locations import Location, region_of
from cloudrig_gcp.named_ports import NamedPorts, wanted_ports
from cloudrig_gcp.naming import group_tag, security_group_tag
from cloudrig_gcp.settings import GcpServerGroupSettings

if TYPE_CHECKING:
    from cloudrig_gcp.server_groups import GcpServerGroups

_NAMESPACE = uuid.UUID("8f6b1d7e-3c1a-4e55-9d0b-6a2f1c0e9b11")
MAX_BASE_INSTANCE_NAME = 58  # GCE appends "-xxxx" to reach its 63 characters
API_ROOT = "https://www.googleapis.com/compute/v1/"
"""Backend groups are fully-qualified URLs (``Backend.group``: partial URLs are not supported)."""


def request_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _network(project: str, name: str, kind: str = "networks") -> str:
    return name if "/" in name else f"projects/{project}/global/{kind}/{name}"


class Launcher:
    def __init__(self, clients: ComputeClients, groups: GcpServerGroups) -> None:
        self.clients = clients
        self.groups = groups
        self.ports = NamedPorts(clients, groups)

    def _check_existing(self, facts: Any, name: str, wanted: metadata.Facts) -> None:
        found = metadata.parse(facts)
        if found is None or found.metadata != wanted.metadata:
            raise Conflict(
                f"{name!r} exists with another moniker or deployment id; refusing to adopt it",
                provider="gcp",
                account=self.clients.account,
                resource=name,
            )

    def create(self, request: CreateServerGroup[GcpServerGroupSettings]) -> ServerGroup:
        from google.cloud import compute_v1

        spec, name, settings = request.spec, request.name, request.settings
        region = spec.region
        where = location(request)
        services = {lb: self.groups.backends.find(lb, region) for lb in spec.load_balancers}
        ports = wanted_ports(services)
        policy = (
            Policy(**settings.autoscaling.model_dump())
            if settings.autoscaling is not None
            else self._carried_policy(region, request)
        )
        facts = metadata.Facts(
            metadata=request.metadata,
            load_balancers=tuple(spec.load_balancers),
            security_groups=tuple(spec.security_groups),
            artifact=spec.artifact,
            tags=dict(spec.tags),
            balancing_mode=settings.balancing_mode,
            max_rate_per_instance=settings.max_rate_per_instance,
            regional_load_balancers=tuple(
                lb for lb, (ref, _) in services.items() if ref.region is not None
            ),
            autoscaling=policy,
        )
        description, labels = facts.description(), facts.labels()
        template = self._template(request, settings, description, labels)
        # The same group (name, moniker, deployment id) always sends the same request ids: a
        # resumed create is answered with the first operations; any other create meets 409.
        rid = request_id(self.clients.project, region, name, request.metadata.model_dump_json())
        made_template = True
        try:
            self.clients.mutate(
                compute_v1.RegionInstanceTemplatesClient,
                "insert",
                resource=name,
                request_id=request_id(rid, "template"),
                region=region,
                instance_template_resource=template,
            )
        except Conflict:
            made_template = False
            # Left by a crash between the two inserts (or a rival): adopt only our own.
            found = self.clients.read(
                compute_v1.RegionInstanceTemplatesClient,
                "get",
                region=region,
                instance_template=name,
                resource=name,
            )
            self._check_existing(found.description, name, facts)
        manager = compute_v1.InstanceGroupManager(
            name=name,
            description=description,
            base_instance_name=name[:MAX_BASE_INSTANCE_NAME].rstrip("-"),
            instance_template=f"projects/{self.clients.project}/regions/{region}/instanceTemplates/{name}",
            target_size=spec.capacity.desired,
        )
        checks = [
            r.service.health_checks[0] for _, r in services.values() if r.service.health_checks
        ]
        if settings.autohealing_delay_seconds is not None and checks:
            manager.auto_healing_policies = [
                compute_v1.InstanceGroupManagerAutoHealingPolicy(
                    health_check=checks[0], initial_delay_sec=settings.autohealing_delay_seconds
                )
            ]
        if spec.zones and where.zone is None:
            manager.distribution_policy = compute_v1.DistributionPolicy(
                zones=[
                    compute_v1.DistributionPolicyZoneConfiguration(
                        zone=f"projects/{self.clients.project}/zones/{z}"
                    )
                    for z in spec.zones
                ]
            )
        adopted = False
        try:
            self.clients.mutate(
                where.managers,
                "insert",
                resource=name,
                request_id=request_id(rid, "mig"),
                instance_group_manager_resource=manager,
                **where.scope,
            )
        except Conflict:
            # Our own earlier attempt (a resumed create) made it: adopt only our own, and finish
            # what a crash may have left undone (named ports, autoscaler, backends).
            adopted = True
            try:
                self._check_existing(
                    self.groups.describe(region, name, fresh=True).description, name, facts
                )
            except Conflict:
                if made_template:  # a rival's group: take back the template just made
                    self.groups.delete_template(region, name)
                raise
        finally:
            self.groups.invalidate(region)
        self.ports.set(
            where, name, ports, request_id=None if adopted else request_id(rid, "named-ports")
        )
        if policy is not None or needs_bounds(spec.capacity):
            self.groups.autoscalers.apply(
                where, name, spec.capacity, policy=policy, exists=None if adopted else False
            )
        link = f"{API_ROOT}{where.path(self.clients.project)}/instanceGroups/{name}"
        for ref, read in services.values():  # a new group starts in traffic, like the others
            self.groups.backends.add(
                ref,
                link,
                mode=settings.balancing_mode,
                rate=settings.max_rate_per_instance,
                current=read,
            )
        return self._created(request, facts, where)

    def _carried_policy(
        self, region: str, request: CreateServerGroup[GcpServerGroupSettings]
    ) -> Policy | None:
        """The autoscaling policy of the cluster's previous version (the newest other group of
        the same app, stack and detail in the region): its live autoscaler's, or — when that is
        paused or gone — the one its facts recorded. ``None`` when there is none."""
        moniker = request.metadata.moniker
        previous = [
            (f.metadata.moniker.sequence or 0, m.name, f, Location.of(m))
            for m in self.groups.snapshot(region).values()
            if m.name != request.name
            and (f := metadata.parse(m.description)) is not None
            and f.metadata.moniker.same_cluster(moniker)
        ]
        if not previous:
            return None
        _, name, facts, where = max(previous, key=lambda p: (p[0], p[1]))
        live = self.groups.autoscalers.snapshot(where).get(name)
        found = Policy.of(live) if live is not None else None
        if found is not None and (found.mode != "OFF" or facts.autoscaling is None):
            return found
        return facts.autoscaling

    def _created(
        self,
        request: CreateServerGroup[GcpServerGroupSettings],
        facts: metadata.Facts,
        where: Location,
    ) -> ServerGroup:
        """The group just created, from what the DONE operations confirmed: no read (its
        instances were created a moment ago; the caller polls their health anyway)."""
        spec = request.spec
        return ServerGroup(
            name=request.name,
            moniker=request.metadata.moniker,
            account=self.clients.account,
            region=spec.region,
            zones=(where.zone,) if where.zone else tuple(spec.zones),
            capacity=spec.capacity,
            enabled=True,
            artifact=spec.artifact,
            load_balancers=facts.load_balancers,
            security_groups=facts.security_groups,
            deployment_id=request.metadata.deployment_id,
            tags=dict(facts.tags),
        )

    def _template(
        self,
        request: CreateServerGroup[GcpServerGroupSettings],
        settings: GcpServerGroupSettings,
        description: str,
        labels: dict[str, str],
    ) -> Any:
        from google.cloud import compute_v1

        spec, project = request.spec, self.clients.project
        image = spec.artifact
        if "/" not in image:
            raise InvalidSpec(
                f"artifact {image!r}: give an image URL or path "
                "(projects/<p>/global/images/<name> or .../images/family/<family>)",
                provider="gcp",
            )
        items = [compute_v1.Items(key=k, value=v) for k, v in sorted(spec.environment.items())]
        if spec.user_data:
            items.append(compute_v1.Items(key="startup-script", value=spec.user_data))
        interface = compute_v1.NetworkInterface(network=_network(project, settings.network))
        if settings.subnetwork:
            interface.subnetwork = (
                settings.subnetwork
                if "/" in settings.subnetwork
                else f"projects/{project}/regions/{spec.region}/subnetworks/{settings.subnetwork}"
            )
        properties = compute_v1.InstanceProperties(
            machine_type=settings.machine_type,
            description=description,
            labels=labels,
            tags=compute_v1.Tags(
                items=[group_tag(request.name)]
                + [security_group_tag(sg) for sg in spec.security_groups]
            ),
            metadata=compute_v1.Metadata(items=items),
            network_interfaces=[interface],
            disks=[
                compute_v1.AttachedDisk(
                    boot=True,
                    auto_delete=True,
                    initialize_params=compute_v1.AttachedDiskInitializeParams(
                        source_image=image, disk_size_gb=settings.boot_disk_gb
                    ),
                )
            ],
        )
        if settings.service_account is not None:  # "default": the project's Compute default
            properties.service_accounts = [
                compute_v1.ServiceAccount(
                    email=settings.service_account,
                    scopes=["https://www.googleapis.com/auth/cloud-platform"],
                )
            ]
        return compute_v1.InstanceTemplate(
            name=request.name, description=description, properties=properties
        )


def location(request: CreateServerGroup[GcpServerGroupSettings]) -> Location:
    """Where the group goes: its region, or the zone ``settings.zone`` names — which must be in
    the spec's region and agree with the spec's ``zones`` when those are given."""
    spec, zone = request.spec, request.settings.zone
    if zone is None:
        return Location(spec.region)
    if region_of(zone) != spec.region:
        raise InvalidSpec(
            f"settings.zone {zone!r} is not a zone of the spec's region {spec.region!r}: a zonal "
            f"group's zone must be in its region (e.g. {spec.region}-a)",
            provider="gcp",
        )
    if spec.zones and tuple(spec.zones) != (zone,):
        raise InvalidSpec(
            f"zones {list(spec.zones)} and settings.zone {zone!r} disagree: a zonal group "
            "runs in the one zone settings.zone names (leave zones out, or give only that zone)",
            provider="gcp",
        )
    return Location(spec.region, zone)
