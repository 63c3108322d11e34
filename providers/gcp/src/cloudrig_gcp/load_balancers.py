"""Load balancers: a backend service + its health check, same (mapped) name, global or — with
``scope: regional`` (an internal Application Load Balancer's INTERNAL_MANAGED service) — in the
spec's region, with a regional health check (GCE pairs regional services with regional checks).

The backend service's ``description`` keeps the original name, the region the spec named (it
scopes ``list`` for global services), the frontend port and the port the instances serve on
(``target_port``: each server group behind it gets it as the named port the service's
``portName`` names). An upsert creates what is missing and patches the service (with its
fingerprint) or replaces the health check only when they differ from the spec, so a second upsert
of the same spec only reads. Delete takes the service and then its health check; what is gone is
success.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from cloudrig import Conflict, LoadBalancer, LoadBalancerSpec, NotFound
from cloudrig.provider import LoadBalancers
from cloudrig_gcp.backends import Backends, short
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import resource_name
from cloudrig_gcp.settings import GcpLoadBalancerSettings

MARKER = "cloudrig/lb/v1"
_PROTOCOLS = {"http": "HTTP", "https": "HTTPS", "http2": "HTTP2", "tcp": "TCP", "ssl": "SSL"}


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def target_port(service: Any) -> int | None:
    """The port the instances behind ``service`` serve on, as cloudrig recorded it."""
    facts = _facts(service)
    if facts is None:
        return None
    return int(facts.get("target_port") or facts.get("port") or 80)


def _facts(service: Any) -> dict[str, Any] | None:
    try:
        body = json.loads(service.description or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("by") == MARKER else None


class GcpLoadBalancers(LoadBalancers[GcpLoadBalancerSettings]):
    """The ``load_balancers`` noun: a global backend service and its health check each."""

    def __init__(self, clients: ComputeClients, backends: Backends) -> None:
        self.clients = clients
        self.backends = backends

    def _health_check(self, name: str, spec: LoadBalancerSpec) -> Any:
        compute_v1 = _compute()
        check = spec.health_check
        port = check.port or spec.target_port or spec.port
        kind = check.protocol.lower()
        fields: dict[str, Any] = {
            "name": name,
            "description": f"cloudrig: health check of load balancer {spec.name}",
            "check_interval_sec": check.interval_seconds,
            "timeout_sec": min(check.interval_seconds, 5),
            "healthy_threshold": check.healthy_threshold,
            "unhealthy_threshold": check.unhealthy_threshold,
        }
        if kind == "https":
            fields["type_"] = "HTTPS"
            fields["https_health_check"] = compute_v1.HTTPSHealthCheck(
                port=port, request_path=check.path
            )
        elif kind == "tcp":
            fields["type_"] = "TCP"
            fields["tcp_health_check"] = compute_v1.TCPHealthCheck(port=port)
        else:
            fields["type_"] = "HTTP"
            fields["http_health_check"] = compute_v1.HTTPHealthCheck(
                port=port, request_path=check.path
            )
        return compute_v1.HealthCheck(**fields)

    def upsert(self, spec: LoadBalancerSpec, settings: GcpLoadBalancerSettings) -> LoadBalancer:
        compute_v1 = _compute()
        name = resource_name(spec.name)
        regional = settings.scope == "regional"
        where: dict[str, Any] = {"region": spec.region} if regional else {}
        checks = compute_v1.RegionHealthChecksClient if regional else compute_v1.HealthChecksClient
        services = (
            compute_v1.RegionBackendServicesClient if regional else compute_v1.BackendServicesClient
        )
        wanted_check = self._health_check(name, spec)
        try:
            current = self.clients.read(checks, "get", health_check=name, resource=name, **where)
            if not _check_matches(current, wanted_check):
                self.clients.mutate(
                    checks,
                    "update",
                    resource=name,
                    health_check=name,
                    health_check_resource=wanted_check,
                    **where,
                )
        except NotFound:
            self.clients.mutate(
                checks, "insert", resource=name, health_check_resource=wanted_check, **where
            )
        scope = f"regions/{spec.region}" if regional else "global"
        check_link = f"projects/{self.clients.project}/{scope}/healthChecks/{name}"
        description = json.dumps(
            {
                "by": MARKER,
                "name": spec.name,
                "region": spec.region,
                "port": spec.port,
                "target_port": spec.target_port or spec.port,
            },
            ensure_ascii=False,
        )
        protocol = _PROTOCOLS.get(spec.protocol.lower(), "HTTP")
        region = spec.region if regional else None
        try:
            service = self.backends.get(name, fresh=True, region=region)
        except NotFound:
            service = None
        if service is None:
            self.clients.mutate(
                services,
                "insert",
                resource=name,
                **where,
                backend_service_resource=compute_v1.BackendService(
                    name=name,
                    description=description,
                    protocol=protocol,
                    port_name=settings.port_name,
                    timeout_sec=settings.timeout_sec,
                    load_balancing_scheme=settings.load_balancing_scheme,
                    health_checks=[check_link],
                ),
            )
            self.backends.invalidate(region)
        else:
            facts = _facts(service)
            if facts is not None and facts.get("name") != spec.name:
                raise Conflict(
                    f"backend service {name!r} belongs to load balancer {facts.get('name')!r}",
                    provider="gcp",
                    account=self.clients.account,
                    resource=name,
                )
            same = (
                service.description == description
                and service.protocol == protocol
                and service.port_name == settings.port_name
                and service.timeout_sec == settings.timeout_sec
                and [short(h) for h in service.health_checks] == [name]
            )
            if not same:
                patch = compute_v1.BackendService(
                    fingerprint=service.fingerprint,
                    description=description,
                    protocol=protocol,
                    port_name=settings.port_name,
                    timeout_sec=settings.timeout_sec,
                    health_checks=[check_link],
                )
                try:
                    self.clients.mutate(
                        services,
                        "patch",
                        resource=name,
                        backend_service=name,
                        backend_service_resource=patch,
                        **where,
                    )
                finally:
                    self.backends.invalidate(region)
        return self.get(spec.region, spec.name, fresh=True)

    def get(self, region: str, name: str, *, fresh: bool = False) -> LoadBalancer:
        """The global service of that name, else the one in ``region``."""
        gce = resource_name(name)
        try:
            service = self.backends.get(gce, fresh=fresh)
        except NotFound:
            service = self.backends.get(gce, fresh=fresh, region=region)
        return self.to_model(service, region)

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        """Every backend service of cloudrig whose spec named one of these regions (one list of
        global services, one of each region's)."""
        wanted = self.clients.regions(region)
        out = []
        for service in self.backends.snapshot().values():
            facts = _facts(service)
            if facts is not None and facts.get("region") in wanted:
                out.append(self.to_model(service, str(facts["region"])))
        for where in wanted:
            for service in self.backends.snapshot(where).values():
                if _facts(service) is not None:
                    out.append(self.to_model(service, where))
        return out

    def delete(self, region: str, name: str) -> None:
        """The global service and check of that name, and the ones in ``region``."""
        compute_v1 = _compute()
        gce = resource_name(name)
        for scope, services, checks in (
            ({}, compute_v1.BackendServicesClient, compute_v1.HealthChecksClient),
            (
                {"region": region},
                compute_v1.RegionBackendServicesClient,
                compute_v1.RegionHealthChecksClient,
            ),
        ):
            try:
                self.clients.mutate(services, "delete", resource=gce, backend_service=gce, **scope)
            except NotFound:
                pass
            finally:
                self.backends.invalidate(scope.get("region"))
            with contextlib.suppress(NotFound):
                self.clients.mutate(checks, "delete", resource=gce, health_check=gce, **scope)

    def to_model(self, service: Any, region: str) -> LoadBalancer:
        facts = _facts(service) or {}
        return LoadBalancer(
            name=str(facts.get("name", service.name)),
            account=self.clients.account,
            region=str(facts.get("region", region)),
            protocol=str(service.protocol or "HTTP").lower(),
            port=int(facts.get("port", 80)),
            endpoint=None,  # forwarding rules and addresses are not managed by cloudrig-gcp
            server_groups=tuple(sorted(short(b.group) for b in service.backends)),
        )


def _check_matches(current: Any, wanted: Any) -> bool:
    fields = (
        "type_",
        "check_interval_sec",
        "timeout_sec",
        "healthy_threshold",
        "unhealthy_threshold",
    )
    if any(getattr(current, f) != getattr(wanted, f) for f in fields):
        return False
    for sub in ("http_health_check", "https_health_check", "tcp_health_check"):
        if sub in wanted:
            mine, theirs = getattr(wanted, sub), getattr(current, sub)
            if mine.port != theirs.port:
                return False
            if sub != "tcp_health_check" and mine.request_path != theirs.request_path:
                return False
    return True
