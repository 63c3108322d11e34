"""Server groups: one regional managed instance group + one regional instance template per
version, same name.

Reads: one ``regionInstanceGroupManagers.list`` per region lists every group (cloudrig's are the
ones whose description carries its facts) and goes through the limiter's short read cache with
coalescing; decision reads (create's conflict check, enable/disable, destroy) are fresh.

Enable/disable: a group behind load balancers is in traffic when it is a backend of their backend
services, so disable removes it (instances kept warm) and enable adds it back. A group without a
load balancer has no backend service to leave: disable writes a deny-all ingress firewall rule
(priority 0) targeting the group's own network tag, enable deletes it, so "disabled" still means
"receives no traffic" and can be read back from the cloud.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from cloudrig import Capacity, Instance, NotFound, ServerGroup, ServerGroupMetadata, parse_name
from cloudrig_gcp import health, metadata
from cloudrig_gcp.autoscalers import Autoscalers
from cloudrig_gcp.backends import Backends, short
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.launch import Launcher
from cloudrig_gcp.naming import disable_rule_name, group_tag
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-migs"
_FIREWALLS = "cloudrig-disable-rules"
DISABLE_MARK = "cloudrig: server group"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


class ServerGroups:
    def __init__(self, clients: ComputeClients, backends: Backends) -> None:
        self.clients = clients
        self.backends = backends
        self.autoscalers = Autoscalers(clients)
        self._launcher = Launcher(clients, self)

    # -- cached reads ----------------------------------------------------------------------------
    def _key(self, region: str, what: str) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, region, what)

    def snapshot(self, region: str, *, fresh: bool = False) -> dict[str, Any]:
        """Every MIG of the region by name (one paged list, cached briefly)."""

        def load() -> dict[str, Any]:
            items = self.clients.collect(
                _compute().RegionInstanceGroupManagersClient, "list", region=region
            )
            return {m.name: m for m in items}

        return self.clients.limiter.cache.get(self._key(region, _SNAPSHOT), load, fresh=fresh)

    def disable_rules(self, *, fresh: bool = False) -> set[str]:
        """Names of cloudrig's deny rules (groups without load balancers that are disabled)."""

        def load() -> set[str]:
            rules = self.clients.collect(_compute().FirewallsClient, "list")
            return {r.name for r in rules if r.description.startswith(DISABLE_MARK)}

        return self.clients.limiter.cache.get(self._key("global", _FIREWALLS), load, fresh=fresh)

    def invalidate(self, region: str) -> None:
        self.clients.limiter.cache.invalidate(self._key(region, _SNAPSHOT))

    def describe(self, region: str, name: str, *, fresh: bool = False) -> Any:
        """One MIG; ``NotFound`` when absent."""
        if fresh:
            return self.clients.read(
                _compute().RegionInstanceGroupManagersClient,
                "get",
                region=region,
                instance_group_manager=name,
                resource=name,
            )
        found = self.snapshot(region).get(name)
        return found if found is not None else self.describe(region, name, fresh=True)

    def instance_group(self, region: str, name: str) -> str:
        link: str = self.describe(region, name).instance_group
        return link

    # -- reads -----------------------------------------------------------------------------------
    def get(self, region: str, name: str, *, fresh: bool = False) -> ServerGroup:
        return self.to_model(region, self.describe(region, name, fresh=fresh), fresh=fresh)

    def of_app(self, app: str, regions: Iterable[str]) -> list[ServerGroup]:
        out: list[ServerGroup] = []
        for region in regions:
            for manager in self.snapshot(region).values():
                facts = metadata.parse(manager.description)
                if facts is not None and facts.metadata.moniker.app == app:
                    out.append(self.to_model(region, manager, with_health=False))
        return out

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        facts = metadata.parse(self.describe(region, name).description)
        return facts.metadata if facts else ServerGroupMetadata(moniker=parse_name(name))

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.get(region, name, fresh=True).instances

    def enabled(self, manager: Any, facts: metadata.Facts | None, *, fresh: bool = False) -> bool:
        if facts is not None and facts.load_balancers:
            serving = self.backends.serving(
                manager.instance_group, facts.load_balancers, fresh=fresh
            )
            return any(scaler > 0 for scaler in serving.values())
        return disable_rule_name(manager.name) not in self.disable_rules(fresh=fresh)

    # -- create ----------------------------------------------------------------------------------
    def create(self, request: Any) -> ServerGroup:
        return self._launcher.create(request)

    # -- mutations -------------------------------------------------------------------------------
    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        """The group's size, then its recorded bounds (the autoscaler in mode OFF)."""
        try:
            self.clients.mutate(
                _compute().RegionInstanceGroupManagersClient,
                "resize",
                resource=name,
                region=region,
                instance_group_manager=name,
                size=capacity.desired,
            )
        finally:
            self.invalidate(region)
        self.autoscalers.apply(region, name, capacity)

    def set_enabled(self, region: str, name: str, enabled: bool) -> None:
        manager = self.describe(region, name, fresh=True)
        facts = metadata.parse(manager.description)
        if facts is not None and facts.load_balancers:
            for lb in facts.load_balancers:
                if enabled:
                    self.backends.add(
                        lb,
                        manager.instance_group,
                        mode=facts.balancing_mode,
                        rate=facts.max_rate_per_instance,
                    )
                else:
                    self.backends.remove(lb, manager.instance_group)
            return
        rule = disable_rule_name(name)
        present = rule in self.disable_rules(fresh=True)
        try:
            if enabled and present:
                self._delete_rule(rule)
            elif not enabled and not present:
                self._insert_rule(rule, name)
        finally:
            self.clients.limiter.cache.invalidate(self._key("global", _FIREWALLS))

    def _insert_rule(self, rule: str, group: str) -> None:
        compute_v1 = _compute()
        firewall = compute_v1.Firewall(
            name=rule,
            description=f"{DISABLE_MARK} {group} is disabled (no traffic)",
            direction="INGRESS",
            priority=0,
            denied=[compute_v1.Denied(I_p_protocol="all")],
            source_ranges=["0.0.0.0/0"],
            target_tags=[group_tag(group)],
        )
        self.clients.mutate(
            compute_v1.FirewallsClient, "insert", resource=rule, firewall_resource=firewall
        )

    def _delete_rule(self, rule: str) -> None:
        with contextlib.suppress(NotFound):
            self.clients.mutate(_compute().FirewallsClient, "delete", resource=rule, firewall=rule)

    def destroy(self, region: str, name: str) -> None:
        """Out of every backend service, then the MIG (its instances), its deny rule and its
        template; what is already gone is success."""
        compute_v1 = _compute()
        try:
            manager = self.describe(region, name, fresh=True)
        except NotFound:
            manager = None
        if manager is not None:
            for service in self.backends.snapshot(fresh=True).values():
                if any(short(b.group) == name for b in service.backends):
                    self.backends.remove(service.name, manager.instance_group)
            if self.autoscalers.bounds(region, name, fresh=True) is not None:
                self.autoscalers.delete(region, name)
            try:
                self.clients.mutate(
                    compute_v1.RegionInstanceGroupManagersClient,
                    "delete",
                    resource=name,
                    region=region,
                    instance_group_manager=name,
                )
            except NotFound:
                pass
            finally:
                self.invalidate(region)
        if disable_rule_name(name) in self.disable_rules(fresh=True):
            self._delete_rule(disable_rule_name(name))
            self.clients.limiter.cache.invalidate(self._key("global", _FIREWALLS))
        with contextlib.suppress(NotFound):
            self.clients.mutate(
                compute_v1.RegionInstanceTemplatesClient,
                "delete",
                resource=name,
                region=region,
                instance_template=name,
            )

    # -- conversion ------------------------------------------------------------------------------
    def to_model(
        self, region: str, manager: Any, *, with_health: bool = True, fresh: bool = False
    ) -> ServerGroup:
        name = manager.name
        facts = metadata.parse(manager.description)
        meta = facts.metadata if facts else ServerGroupMetadata(moniker=parse_name(name))
        lbs = facts.load_balancers if facts else ()
        enabled = self.enabled(manager, facts, fresh=fresh)
        size = int(manager.target_size)
        bounds = self.autoscalers.bounds(region, name, fresh=fresh)
        low, high = bounds if bounds is not None else (size, size)
        low, high = min(low, size), max(high, size)
        instances: tuple[Instance, ...] = ()
        if with_health:
            instances = self._instances(region, manager, lbs, enabled)
        return ServerGroup(
            name=name,
            moniker=meta.moniker,
            account=self.clients.account,
            region=region,
            zones=tuple(sorted(short(z.zone) for z in manager.distribution_policy.zones)),
            capacity=Capacity(min=low, desired=size, max=high),
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
        self, region: str, manager: Any, lbs: tuple[str, ...], enabled: bool
    ) -> tuple[Instance, ...]:
        compute_v1 = _compute()
        managed = self.clients.collect(
            compute_v1.RegionInstanceGroupManagersClient,
            "list_managed_instances",
            region=region,
            instance_group_manager=manager.name,
        )
        backend_health: dict[str, dict[str, str]] = {}
        for lb in self.backends.serving(manager.instance_group, lbs):
            service = self.backends.get(_lb_name(lb))
            answer = self.clients.read(
                compute_v1.BackendServicesClient,
                "get_health",
                resource=service.name,
                backend_service=service.name,
                resource_group_reference_resource=compute_v1.ResourceGroupReference(
                    group=manager.instance_group
                ),
            )
            backend_health[service.name] = {
                _path(s.instance): s.health_state for s in answer.health_status
            }
        managed_by_path = [_with_path(m) for m in managed]
        return health.instances(
            managed_by_path, backend_health, enabled=enabled, behind_load_balancers=bool(lbs)
        )


def _lb_name(lb: str) -> str:
    from cloudrig_gcp.naming import resource_name

    return resource_name(lb)


def _path(url: str) -> str:
    return "projects/" + url.split("/projects/")[-1]


def _with_path(item: Any) -> Any:
    item.instance = _path(item.instance)
    return item


def _timestamp(text: str) -> Any:
    from datetime import datetime

    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
