"""Server groups: one managed instance group + one regional instance template per version, same
name. The MIG is regional (the default) or zonal (``settings.zone``); every operation takes its
calls from the group's ``Location``.

Reads: one ``instanceGroupManagers.aggregatedList`` lists every group of the project, regional and
zonal (cloudrig's are the ones whose description carries its facts), and goes through the
limiter's short read cache with coalescing; decision reads (create's conflict check,
enable/disable, destroy) are fresh: the same list filtered to the group's name (one call, whether
the group is regional or zonal).

Enable/disable: a group behind load balancers is in traffic when it is a backend of their backend
services, so disable removes it (instances kept warm) and enable adds it back. A group without a
load balancer has no backend service to leave: disable writes a deny rule on the group's network
tag, enable deletes it (``deny_rules``). Either way its autoscaling policy is paused while it is
out of traffic (``autoscalers``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from cloudrig import Capacity, Instance, NotFound, ServerGroup, parse_name
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata, ServerGroups
from cloudrig_gcp import health, metadata
from cloudrig_gcp.autoscalers import Autoscalers
from cloudrig_gcp.backends import Backends, ServiceRef, same_group, short
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.deny_rules import DenyRules
from cloudrig_gcp.launch import Launcher
from cloudrig_gcp.locations import Location
from cloudrig_gcp.naming import disable_rule_name
from cloudrig_gcp.settings import GcpServerGroupSettings
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-migs"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


class GcpServerGroups(ServerGroups[GcpServerGroupSettings]):
    """The ``server_groups`` noun: regional or zonal MIGs with their templates, autoscalers
    (bounds) and places in backend services (``backends``)."""

    def __init__(self, clients: ComputeClients, backends: Backends) -> None:
        self.clients = clients
        self.backends = backends
        self.autoscalers = Autoscalers(clients)
        self.deny = DenyRules(clients)
        self._launcher = Launcher(clients, self)
        self.ports = self._launcher.ports

    # -- cached reads ----------------------------------------------------------------------------
    def _key(self) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, "aggregated", _SNAPSHOT)

    def _listing(self, *, name: str | None = None) -> dict[str, dict[str, Any]]:
        """{region: {name: MIG}} of the project, regional and zonal (one aggregatedList; with
        ``name``, filtered to it). A regional group wins over a zonal one of the same name."""
        compute_v1 = _compute()
        request = compute_v1.AggregatedListInstanceGroupManagersRequest(
            project=self.clients.project
        )
        if name:
            request.filter = f"name eq {name}"
        scoped = self.clients.collect(
            compute_v1.InstanceGroupManagersClient, "aggregated_list", request=request
        )
        out: dict[str, dict[str, Any]] = {}
        for _, items in sorted(scoped, key=lambda pair: not pair[0].startswith("regions/")):
            for manager in items.instance_group_managers:
                out.setdefault(Location.of(manager).region, {}).setdefault(manager.name, manager)
        return out

    def snapshot(self, region: str, *, fresh: bool = False) -> dict[str, Any]:
        """Every MIG of the region (regional, and zonal in its zones) by name (one paged list of
        the project, cached briefly)."""
        every = self.clients.limiter.cache.get(self._key(), self._listing, fresh=fresh)
        found: dict[str, Any] = every.get(region, {})
        return found

    def invalidate(self, region: str) -> None:
        self.clients.limiter.cache.invalidate(self._key())

    def describe(self, region: str, name: str, *, fresh: bool = False) -> Any:
        """One MIG, regional or zonal; ``NotFound`` when absent."""
        found = (self._listing(name=name) if fresh else {region: self.snapshot(region)}).get(
            region, {}
        )
        if name in found:
            return found[name]
        if not fresh:
            return self.describe(region, name, fresh=True)
        raise NotFound(
            f"server group {name!r} does not exist in {region}",
            provider="gcp",
            account=self.clients.account,
            resource=name,
        )

    # -- reads -----------------------------------------------------------------------------------
    def get(
        self, region: str, name: str, *, fresh: bool = False, with_health: bool = True
    ) -> ServerGroup:
        manager = self.describe(region, name, fresh=fresh)
        return self.to_model(region, manager, self._view(region, fresh), with_health=with_health)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """Groups whose stored app is ``app`` (in every region of the account when ``region`` is
        None); without instances (``get`` adds them: they cost two reads per group)."""
        out: list[ServerGroup] = []
        for where in self.clients.regions(region):
            mine = [
                m
                for m in self.snapshot(where).values()
                if (f := metadata.parse(m.description)) is not None
                and f.metadata.moniker.app == app
            ]
            if mine:
                view = self._view(where, False)
                out.extend(self.to_model(where, m, view, with_health=False) for m in mine)
        return out

    def _view(self, region: str, fresh: bool) -> _View:
        return _View(self, region, fresh)

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        facts = metadata.parse(self.describe(region, name).description)
        return facts.metadata if facts else ServerGroupMetadata(moniker=parse_name(name))

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.get(region, name, fresh=True).instances

    # -- create ----------------------------------------------------------------------------------
    def create(self, request: CreateServerGroup[GcpServerGroupSettings]) -> ServerGroup:
        """The template, then the MIG (``launch.Launcher``: idempotent by request ids)."""
        return self._launcher.create(request)

    # -- mutations -------------------------------------------------------------------------------
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        """The group's size, then its autoscaler's bounds (its policy, from the facts, only
        matters when the autoscaler must be made again)."""
        # Read before the resize: the listing read moments ago serves it (the facts never change).
        manager = self.describe(region, name)
        facts, where = metadata.parse(manager.description), Location.of(manager)
        try:
            self.clients.mutate(
                where.managers,
                "resize",
                resource=name,
                instance_group_manager=name,
                size=capacity.desired,
                **where.scope,
            )
        finally:
            self.invalidate(region)
        self.autoscalers.apply(where, name, capacity, policy=facts.autoscaling if facts else None)

    def enable(self, region: str, name: str) -> None:
        """Back into every backend service it names, with the named ports they route to (a group
        made before cloudrig set them gets them now); without any, its deny rule deleted."""
        self._set_enabled(region, name, True)

    def disable(self, region: str, name: str) -> None:
        """Out of every backend service it names (instances kept); without any, a deny rule."""
        self._set_enabled(region, name, False)

    def _set_enabled(self, region: str, name: str, enabled: bool) -> None:
        # The facts never change after create: the region's listing (cached) has them; what
        # decides the change is each backend service's state, read fresh by ``modify``.
        manager = self.describe(region, name)
        facts, where = metadata.parse(manager.description), Location.of(manager)
        link = str(manager.instance_group)
        if facts is not None and not enabled:  # paused before it leaves traffic
            self.autoscalers.set_paused(where, name, facts.autoscaling, True)
        if facts is not None and facts.load_balancers and enabled:
            services = {
                lb: (ref, self.backends.current(ref)) for lb, ref in facts.services(region).items()
            }
            self.ports.complete(manager, services)
            for ref, read in services.values():
                self.backends.add(
                    ref,
                    link,
                    mode=facts.balancing_mode,
                    rate=facts.max_rate_per_instance,
                    current=read,
                )
        elif facts is not None and facts.load_balancers:
            for ref in facts.services(region).values():
                self.backends.remove(ref, link)
        else:
            self.deny.set(name, enabled)
        if facts is not None and enabled:  # resumed once it is back in traffic
            self.autoscalers.set_paused(where, name, facts.autoscaling, False)

    def destroy(self, region: str, name: str) -> None:
        """Out of every backend service, then the MIG (its instances), its deny rule and its
        template; what is already gone is success."""
        try:
            manager = self.describe(region, name, fresh=True)
        except NotFound:
            manager = None
        if manager is not None:
            facts, where = metadata.parse(manager.description), Location.of(manager)
            scopes: list[str | None] = [None]
            if facts is not None and facts.regional_load_balancers:
                scopes.append(region)
            for scope in scopes:
                for service in self.backends.snapshot(scope, fresh=True).values():
                    if any(same_group(b.group, manager.instance_group) for b in service.backends):
                        self.backends.remove(
                            ServiceRef(service.name, scope), str(manager.instance_group)
                        )
            if self.autoscalers.bounds(where, name, fresh=True) is not None:
                self.autoscalers.delete(where, name)
            try:
                self.clients.mutate(
                    where.managers,
                    "delete",
                    resource=name,
                    instance_group_manager=name,
                    **where.scope,
                )
            except NotFound:
                pass
            finally:
                self.invalidate(region)
        self.deny.set(name, True)
        self.delete_template(region, name)

    def delete_template(self, region: str, name: str) -> None:
        """The group's instance template; already gone is success."""
        with contextlib.suppress(NotFound):
            self.clients.mutate(
                _compute().RegionInstanceTemplatesClient,
                "delete",
                resource=name,
                region=region,
                instance_template=name,
            )

    # -- conversion ------------------------------------------------------------------------------
    def to_model(
        self, region: str, manager: Any, view: _View, *, with_health: bool = True
    ) -> ServerGroup:
        name = manager.name
        facts = metadata.parse(manager.description)
        meta = facts.metadata if facts else ServerGroupMetadata(moniker=parse_name(name))
        lbs = facts.load_balancers if facts else ()
        refs = facts.services(region) if facts else {}
        serving: dict[str, float] = {}
        if lbs:
            serving = self.backends.serving(str(manager.instance_group), refs, view.service)
            enabled = any(scaler > 0 for scaler in serving.values())
        else:
            enabled = disable_rule_name(name) not in view.rules()
        size = int(manager.target_size)
        bounds = view.bounds(manager)
        low, high = bounds if bounds is not None else (size, size)
        instances: tuple[Instance, ...] = ()
        if with_health:
            serving_refs = {lb: refs[lb] for lb in serving}
            instances = self._instances(region, manager, serving_refs, enabled, bool(lbs))
        return ServerGroup(
            name=name,
            moniker=meta.moniker,
            account=self.clients.account,
            region=region,
            zones=_zones(manager),
            capacity=Capacity(min=min(low, size), desired=size, max=max(high, size)),
            instances=instances,
            enabled=enabled,
            created_at=_timestamp(manager.creation_timestamp),
            artifact=facts.artifact if facts else None,
            load_balancers=lbs,
            security_groups=facts.security_groups if facts else (),
            deployment_id=meta.deployment_id,
            tags=dict(facts.tags) if facts else {},
        )

    def _instances(
        self,
        region: str,
        manager: Any,
        serving: dict[str, ServiceRef],
        enabled: bool,
        behind_load_balancers: bool,
    ) -> tuple[Instance, ...]:
        """Managed instances (one read), plus backend health per backend service the group is
        in (one getHealth each)."""
        compute_v1 = _compute()
        where = Location.of(manager)
        managed = self.clients.collect(
            where.managers,
            "list_managed_instances",
            instance_group_manager=manager.name,
            **where.scope,
        )
        link = str(manager.instance_group)
        backend_health: dict[str, dict[str, str]] = {}
        # Backend health of VMs that are not RUNNING yet says nothing (their checks fail while
        # they boot: Starting either way), so a group still booting costs no getHealth.
        running = any(m.instance_status == "RUNNING" for m in managed)
        for ref in serving.values() if running else ():
            service_name = ref.name
            if ref.region is None:
                cls: type = compute_v1.BackendServicesClient
                scope: dict[str, Any] = {}
            else:
                cls, scope = compute_v1.RegionBackendServicesClient, {"region": ref.region}
            answer = self.clients.read(
                cls,
                "get_health",
                resource=service_name,
                backend_service=service_name,
                resource_group_reference_resource=compute_v1.ResourceGroupReference(group=link),
                **scope,
            )
            backend_health[service_name] = {
                _path(s.instance): s.health_state for s in answer.health_status
            }
        return health.instances(
            [_with_path(m) for m in managed],
            backend_health,
            enabled=enabled,
            behind_load_balancers=behind_load_balancers,
        )


class _View:
    """The shared snapshots one answer is built from, each read at most once (under the core's
    ``fresh_reads()`` every cache read reaches the cloud, so reading them per group or per field
    would multiply requests)."""

    def __init__(self, groups: GcpServerGroups, region: str, fresh: bool) -> None:
        self._groups, self._region, self._fresh = groups, region, fresh
        self._services: dict[str | None, dict[str, Any]] = {}
        self._rules: set[str] | None = None
        self._bounds: dict[Location, dict[str, Any]] = {}

    def service(self, ref: ServiceRef) -> Any:
        """The backend service ``ref`` from its scope's snapshot (read once), or ``None``."""
        if ref.region not in self._services:
            snapshot = self._groups.backends.snapshot(ref.region, fresh=self._fresh)
            self._services[ref.region] = snapshot
        return self._services[ref.region].get(ref.name)

    def rules(self) -> set[str]:
        if self._rules is None:
            self._rules = self._groups.deny.names(fresh=self._fresh)
        return self._rules

    def bounds(self, manager: Any) -> tuple[int, int] | None:
        """The bounds of ``manager``'s autoscaler (one listing per location, read once)."""
        where = Location.of(manager)
        if where not in self._bounds:
            snapshot = self._groups.autoscalers.snapshot(where, fresh=self._fresh)
            self._bounds[where] = snapshot
        found = self._bounds[where].get(manager.name)
        if found is None:
            return None
        policy = found.autoscaling_policy
        return int(policy.min_num_replicas), int(policy.max_num_replicas)


def _zones(manager: Any) -> tuple[str, ...]:
    """A zonal group's zone, or the zones a regional group's distribution policy names."""
    if manager.zone:
        return (short(manager.zone),)
    return tuple(sorted(short(z.zone) for z in manager.distribution_policy.zones))


def _path(url: str) -> str:
    return "projects/" + url.split("/projects/")[-1]


def _with_path(item: Any) -> Any:
    """The managed instance with its instance URL cut to ``projects/...``: getHealth and
    listManagedInstances may spell the host differently."""
    item.instance = _path(item.instance)
    return item


def _timestamp(text: str) -> Any:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
