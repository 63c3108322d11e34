"""Health checks, global (``healthChecks``) and regional (``regionHealthChecks``): insert, get,
list, patch, update, delete.

GCE's defaults are filled on insert (5 s interval and timeout, thresholds 2, port 80 and path "/"
for HTTP-like checks); ``timeoutSec`` above ``checkIntervalSec`` is refused, and delete is refused
with 400 ``resourceInUseByAnotherResource`` while a backend service references the check.
"""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import in_use, invalid
from .store import Store, short

_SUB_MESSAGES = {
    "TCP": "tcp_health_check",
    "SSL": "ssl_health_check",
    "HTTP": "http_health_check",
    "HTTPS": "https_health_check",
    "HTTP2": "http2_health_check",
    "GRPC": "grpc_health_check",
}


class HealthChecks:
    def __init__(self, store: Store) -> None:
        self.store = store
        common: dict[str, Any] = {
            "collection": "healthChecks",
            "message": compute_v1.HealthCheck,
            "list_message": compute_v1.HealthCheckList,
            "kind": "compute#healthCheck",
            "name_field": "health_check",
            "body_field": "health_check_resource",
        }
        self.collection = Collection(store, regional=False, **common)
        self.regional = Collection(store, regional=True, **common)

    def insert(self, collection: Collection[compute_v1.HealthCheck], request: Any) -> Mutation:
        check = collection.body(request)
        kind = check.type_
        if kind not in _SUB_MESSAGES:
            raise invalid(
                f"Invalid value for field 'resource.type': '{kind}'. Must be one of {sorted(_SUB_MESSAGES)}."
            )
        for field, default in (
            ("check_interval_sec", 5),
            ("timeout_sec", 5),
            ("healthy_threshold", 2),
            ("unhealthy_threshold", 2),
        ):
            if field not in check:
                setattr(check, field, default)
        if check.timeout_sec > check.check_interval_sec:
            raise invalid(
                "Invalid value for field 'resource.timeoutSec': timeout must be less than or equal to checkIntervalSec."
            )
        sub = getattr(check, _SUB_MESSAGES[kind])
        if "port" not in sub and "port_name" not in sub:
            sub.port = 443 if kind in ("HTTPS", "HTTP2", "SSL") else 80
        if kind in ("HTTP", "HTTPS", "HTTP2") and not sub.request_path:
            sub.request_path = "/"
        setattr(check, _SUB_MESSAGES[kind], sub)
        return collection.insert(request, check)

    def replace(
        self,
        collection: Collection[compute_v1.HealthCheck],
        request: Any,
        keys: set[str],
        *,
        patch: bool,
    ) -> Mutation:
        def validate(old: compute_v1.HealthCheck, new: compute_v1.HealthCheck) -> None:
            if new.timeout_sec > new.check_interval_sec:
                raise invalid(
                    "Invalid value for field 'resource.timeoutSec': timeout must be less than or "
                    "equal to checkIntervalSec."
                )

        return collection.replace(request, keys, patch=patch, validate=validate)

    def delete(self, collection: Collection[compute_v1.HealthCheck], request: Any) -> Mutation:
        def refuse_if_used(check: compute_v1.HealthCheck) -> None:
            for resource in self.store.resources.values():
                if (
                    isinstance(resource, compute_v1.BackendService)
                    and check.self_link in resource.health_checks
                ):
                    raise in_use("health_check", short(check.self_link), short(resource.self_link))

        return collection.delete(request, refuse_if_used)

    def handlers(self) -> dict[str, Any]:
        handlers: dict[str, Any] = {}
        for prefix, c in (
            ("healthChecks.", self.collection),
            ("regionHealthChecks.", self.regional),
        ):
            handlers |= {
                prefix + "insert": lambda req, keys, c=c: self.insert(c, req),
                prefix + "get": lambda req, keys, c=c: c.get(req),
                prefix + "list": lambda req, keys, c=c: c.list(req),
                prefix + "delete": lambda req, keys, c=c: self.delete(c, req),
                prefix + "patch": lambda req, keys, c=c: self.replace(c, req, keys, patch=True),
                prefix + "update": lambda req, keys, c=c: self.replace(c, req, keys, patch=False),
            }
        return handlers
