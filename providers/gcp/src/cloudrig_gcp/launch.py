"""Creating a server group: a regional instance template, then a regional MIG, same name.

Both inserts carry the facts (``metadata``) in their descriptions and a deterministic
``requestId`` (derived from the account, name and deployment id), so a retried or resumed create
never makes a second group: GCE answers a repeated request id with the first operation. Before
creating, a MIG of that name is looked up (one read); a template insert that meets an existing
template (a crash between the two inserts, or a hash collision of two monikers) reads it. The same
moniker and deployment id is adopted, anything else is a ``Conflict``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cloudrig import Conflict, InvalidSpec, NotFound, ServerGroup
from cloudrig.provider import CreateServerGroup
from cloudrig_gcp import metadata
from cloudrig_gcp.autoscalers import needs_bounds
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import group_tag, security_group_tag
from cloudrig_gcp.settings import GcpServerGroupSettings

if TYPE_CHECKING:
    from cloudrig_gcp.server_groups import GcpServerGroups

_NAMESPACE = uuid.UUID("8f6b1d7e-3c1a-4e55-9d0b-6a2f1c0e9b11")
MAX_BASE_INSTANCE_NAME = 58  # GCE appends "-xxxx" to reach its 63 characters


def request_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _network(project: str, name: str, kind: str = "networks") -> str:
    return name if "/" in name else f"projects/{project}/global/{kind}/{name}"


class Launcher:
    def __init__(self, clients: ComputeClients, groups: GcpServerGroups) -> None:
        self.clients = clients
        self.groups = groups

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
        facts = metadata.Facts(
            metadata=request.metadata,
            load_balancers=tuple(spec.load_balancers),
            security_groups=tuple(spec.security_groups),
            artifact=spec.artifact,
            tags=dict(spec.tags),
            balancing_mode=settings.balancing_mode,
            max_rate_per_instance=settings.max_rate_per_instance,
        )
        description, labels = facts.description(), facts.labels()
        region = spec.region
        try:
            existing = self.groups.describe(region, name, fresh=True)
        except NotFound:
            existing = None
        if existing is not None:
            self._check_existing(existing.description, name, facts)
            if needs_bounds(spec.capacity):  # a crash may have come before the autoscaler
                self.groups.autoscalers.apply(region, name, spec.capacity)
            return self.groups.get(region, name, fresh=True, with_health=False)
        template = self._template(request, settings, description, labels)
        rid = request_id(self.clients.project, region, name, request.metadata.deployment_id or "")
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
        if spec.zones:
            manager.distribution_policy = compute_v1.DistributionPolicy(
                zones=[
                    compute_v1.DistributionPolicyZoneConfiguration(
                        zone=f"projects/{self.clients.project}/zones/{z}"
                    )
                    for z in spec.zones
                ]
            )
        try:
            self.clients.mutate(
                compute_v1.RegionInstanceGroupManagersClient,
                "insert",
                resource=name,
                request_id=request_id(rid, "mig"),
                region=region,
                instance_group_manager_resource=manager,
            )
        except Conflict:
            # Another worker (or our own earlier attempt) created it: adopt only our own.
            self._check_existing(
                self.groups.describe(region, name, fresh=True).description, name, facts
            )
        finally:
            self.groups.invalidate(region)
        if needs_bounds(spec.capacity):
            self.groups.autoscalers.apply(region, name, spec.capacity)
        link = self.groups.instance_group(region, name)
        for lb in spec.load_balancers:  # a new group starts in traffic, like the other clouds
            self.groups.backends.add(
                lb, link, mode=settings.balancing_mode, rate=settings.max_rate_per_instance
            )
        return self._created(request, facts)

    def _created(
        self, request: CreateServerGroup[GcpServerGroupSettings], facts: metadata.Facts
    ) -> ServerGroup:
        """The group just created, from what the DONE operations confirmed: no read (its
        instances were created a moment ago; the caller polls their health anyway)."""
        spec = request.spec
        return ServerGroup(
            name=request.name,
            moniker=request.metadata.moniker,
            account=self.clients.account,
            region=spec.region,
            zones=tuple(spec.zones),
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
        if settings.service_account:
            properties.service_accounts = [
                compute_v1.ServiceAccount(
                    email=settings.service_account,
                    scopes=["https://www.googleapis.com/auth/cloud-platform"],
                )
            ]
        return compute_v1.InstanceTemplate(
            name=request.name, description=description, properties=properties
        )
