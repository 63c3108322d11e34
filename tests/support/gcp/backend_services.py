"""Backend services, global (``backendServices``) and regional (``regionBackendServices``).

Modelled: insert, get, list, patch, update, delete and getHealth. ``backends[].group`` must name
an existing MIG-exposed instance group, regional or zonal — for a regional service, of its own
region or a zone in it; ``healthChecks``: at most one, required with instance-group backends, global for a
global service, of the service's region for a regional proxy one (INTERNAL_MANAGED,
EXTERNAL_MANAGED; passthrough INTERNAL/EXTERNAL take a global one too).
``loadBalancingScheme`` must suit the scope (global: EXTERNAL, EXTERNAL_MANAGED,
INTERNAL_SELF_MANAGED, INTERNAL_MANAGED; regional: EXTERNAL, EXTERNAL_MANAGED, INTERNAL,
INTERNAL_MANAGED); ``balancingMode`` defaults to UTILIZATION and
``capacityScaler`` to 1.0 (0 or 0.1..1.0 accepted). Every change gets a new ``fingerprint``; a
patch/update must carry the current one (412 conditionNotMet when stale or missing, as the
BackendService reference says). getHealth reports per-VM HEALTHY/UNHEALTHY from the fleet's
health controls (non-RUNNING VMs are UNHEALTHY): health checks probe an explicit port, so they
pass whether or not the group has the named port. ``receivers`` is where traffic would go: only
groups that carry the service's ``portName`` get any (proxy load balancers; a regional
passthrough one, INTERNAL or EXTERNAL, needs none).
``iap.oauth2ClientSecret`` is input only: never answered (its ``oauth2ClientSecretSha256`` is), so
a full ``update`` built from a ``get`` drops it, while a ``patch`` that leaves ``iap`` out keeps it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import condition_not_met, invalid
from .instance_groups import InstanceGroups
from .instances import Fleet
from .store import Store, new_fingerprint, resolve, short

_BALANCING_MODES = ("UTILIZATION", "RATE", "CONNECTION", "CUSTOM_METRICS")
SCHEMES = {
    False: ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_SELF_MANAGED", "INTERNAL_MANAGED"),
    True: ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL", "INTERNAL_MANAGED"),
}
"""Load-balancing schemes by scope (regional?): the backend services product table."""
_PASSTHROUGH = ("INTERNAL", "EXTERNAL")
"""Regional schemes that pass packets through: no ``portName`` (the BackendService reference)."""


def _in_region(group: str, region: str) -> bool:
    """A regional instance group of ``region``, or a zonal one of a zone in it."""
    return f"/regions/{region}/" in group or f"/zones/{region}-" in group


class BackendServices:
    def __init__(self, store: Store, fleet: Fleet, groups: InstanceGroups) -> None:
        self.store = store
        self.fleet = fleet
        self.groups = groups
        common: dict[str, Any] = {
            "collection": "backendServices",
            "message": compute_v1.BackendService,
            "list_message": compute_v1.BackendServiceList,
            "kind": "compute#backendService",
            "name_field": "backend_service",
            "body_field": "backend_service_resource",
        }
        self.global_ = Collection(store, regional=False, **common)
        self.regional = Collection(store, regional=True, **common)

    def _validate(self, request: Any, service: compute_v1.BackendService, regional: bool) -> None:
        seen: set[str] = set()
        region = request.region if regional else None
        for index, backend in enumerate(service.backends):
            if not backend.group:
                raise invalid(f"Required field 'resource.backends[{index}].group' not specified")
            backend.group = resolve(backend.group, request.project)
            self.groups.manager_of(backend.group)  # 404 notFound when the group does not exist
            if region is not None and not _in_region(backend.group, region):
                raise invalid(
                    f"Invalid value for field 'resource.backends[{index}].group': "
                    f"'{short(backend.group)}'. A regional backend service takes backends of "
                    f"its own region '{region}'."
                )
            if backend.group in seen:
                raise invalid(
                    f"Invalid value for field 'resource.backends': duplicate group '{short(backend.group)}'."
                )
            seen.add(backend.group)
            backend.balancing_mode = backend.balancing_mode or "UTILIZATION"
            if backend.balancing_mode not in _BALANCING_MODES:
                raise invalid(
                    f"Invalid value for field 'resource.backends[{index}].balancingMode': '{backend.balancing_mode}'."
                )
            if "capacity_scaler" not in backend:
                backend.capacity_scaler = 1.0
            scaler = backend.capacity_scaler
            if not (scaler == 0 or 0.1 <= scaler <= 1.0):
                raise invalid(
                    f"Invalid value for field 'resource.backends[{index}].capacityScaler': '{scaler}'. "
                    "Must be 0 or in [0.1, 1.0]."
                )
        if len(service.health_checks) > 1:
            raise invalid(
                "Invalid value for field 'resource.healthChecks': at most one health check "
                "can be specified."
            )
        if service.backends and not service.health_checks:
            raise invalid(
                "Invalid value for field 'resource.healthChecks': backend services with "
                "instance group backends must have a health check."
            )
        checks = []
        for check in service.health_checks:
            url = resolve(check, request.project)
            self.store.get(url, compute_v1.HealthCheck)
            scheme = service.load_balancing_scheme or ("INTERNAL" if regional else "EXTERNAL")
            passthrough = region is not None and scheme in ("INTERNAL", "EXTERNAL")
            scoped = f"/regions/{region}/" in url if region else "/global/" in url
            if not scoped and not (passthrough and "/global/" in url):
                raise invalid(
                    f"Invalid value for field 'resource.healthChecks[0]': '{short(url)}'. "
                    + (
                        f"A regional backend service needs a health check of region '{region}'."
                        if region
                        else "A global backend service needs a global health check."
                    )
                )
            checks.append(url)
        service.health_checks = checks
        service.protocol = service.protocol or "HTTP"
        service.load_balancing_scheme = service.load_balancing_scheme or (
            "INTERNAL" if regional else "EXTERNAL"
        )
        if service.load_balancing_scheme not in SCHEMES[regional]:
            scope = "regional" if regional else "global"
            raise invalid(
                "Invalid value for field 'resource.loadBalancingScheme': "
                f"'{service.load_balancing_scheme}'. A {scope} backend service takes one of "
                f"{', '.join(SCHEMES[regional])}."
            )
        if "timeout_sec" not in service:
            service.timeout_sec = 30
        if service.protocol in ("HTTP", "HTTPS", "HTTP2") and not service.port_name:
            service.port_name = "http"
        secret = service.iap.oauth2_client_secret if "iap" in service else ""
        if secret:
            service.iap.oauth2_client_secret_sha256 = hashlib.sha256(secret.encode()).hexdigest()
        elif "iap" in service and "oauth2_client_secret_sha256" in service.iap:
            del service.iap.oauth2_client_secret_sha256  # a sent hash is output only
        service.fingerprint = new_fingerprint()

    @staticmethod
    def shown(service: compute_v1.BackendService) -> compute_v1.BackendService:
        """The service as GCE answers it: input-only fields left out."""
        out = compute_v1.BackendService(service)
        if "iap" in out and "oauth2_client_secret" in out.iap:
            del out.iap.oauth2_client_secret
        return out

    def get(self, collection: Collection[compute_v1.BackendService], request: Any) -> Any:
        return self.shown(collection.get(request))

    def list(self, collection: Collection[compute_v1.BackendService], request: Any) -> Any:
        result = collection.list(request)
        result.items = [self.shown(s) for s in result.items]
        return result

    def insert(self, collection: Collection[compute_v1.BackendService], request: Any) -> Mutation:
        service = collection.body(request)
        self._validate(request, service, collection.regional)
        return collection.insert(request, service)

    def replace(
        self,
        collection: Collection[compute_v1.BackendService],
        request: Any,
        keys: set[str],
        *,
        patch: bool,
    ) -> Mutation:
        sent = request.backend_service_resource.fingerprint

        def validate(old: compute_v1.BackendService, new: compute_v1.BackendService) -> None:
            self._validate(request, new, collection.regional)
            if sent != old.fingerprint:  # missing or stale: the reference requires the latest
                raise condition_not_met()

        return collection.replace(request, keys, patch=patch, validate=validate)

    def get_health(self, collection: Collection[compute_v1.BackendService], request: Any) -> Any:
        service = collection.get(request)
        reference = request.resource_group_reference_resource.group
        if not reference:
            raise invalid("Required field 'group' not specified")
        group = resolve(reference, request.project)
        if group not in {b.group for b in service.backends}:
            raise invalid(
                f"Invalid value for field 'group': '{reference}'. Not a backend of '{service.name}'."
            )
        manager = self.groups.manager_of(group)
        statuses = [
            compute_v1.HealthStatus(
                instance=vm.self_link,
                ip_address=vm.network_ip,
                health_state=self.fleet.health(vm, service.name),
            )
            for vm in self.fleet.members(manager.self_link)
        ]
        return compute_v1.BackendServiceGroupHealth(
            kind="compute#backendServiceGroupHealth", health_status=statuses
        )

    def receivers(self, service_link: str) -> list[str]:
        """Names of the VMs the service would send traffic to now: backends at a capacityScaler
        above 0 whose group carries the service's named port (proxy load balancers route by
        ``portName``; without it the group gets nothing), RUNNING and HEALTHY."""
        service = self.store.get(service_link, compute_v1.BackendService)
        out: list[str] = []
        for backend in service.backends:
            if backend.capacity_scaler <= 0:
                continue
            manager = self.groups.manager_of(backend.group)
            passthrough = "/regions/" in service_link and (
                service.load_balancing_scheme in _PASSTHROUGH
            )
            if not passthrough and service.port_name not in {p.name for p in manager.named_ports}:
                continue
            out.extend(
                vm.name
                for vm in self.fleet.members(manager.self_link, include_deleting=False)
                if self.fleet.health(vm, service.name) == "HEALTHY"
            )
        return sorted(out)

    def handlers(self) -> dict[str, Any]:
        handlers: dict[str, Any] = {}
        for prefix, c in (
            ("backendServices.", self.global_),
            ("regionBackendServices.", self.regional),
        ):
            handlers |= {
                prefix + "insert": lambda req, keys, c=c: self.insert(c, req),
                prefix + "get": lambda req, keys, c=c: self.get(c, req),
                prefix + "list": lambda req, keys, c=c: self.list(c, req),
                prefix + "patch": lambda req, keys, c=c: self.replace(c, req, keys, patch=True),
                prefix + "update": lambda req, keys, c=c: self.replace(c, req, keys, patch=False),
                prefix + "delete": lambda req, keys, c=c: c.delete(req),
                prefix + "getHealth": lambda req, keys, c=c: self.get_health(c, req),
            }
        return handlers
