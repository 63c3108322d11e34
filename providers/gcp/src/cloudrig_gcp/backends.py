"""Backend services as the server groups see them: membership, capacityScaler, fingerprints.

A load balancer is a global backend service (+ its health check); a server group is in traffic
when it is one of the service's backends. All changes are read-modify-write (a full
``update``) with the service's ``fingerprint``: GCE refuses a stale one (412 ``conditionNotMet``), and the change is retried
with a fresh read, so two writers never lose each other's backends.

Reads: one ``backendServices.list`` per poll through the limiter's short read cache (N waiting
deployments in a process make one call); decisions read fresh; every change invalidates it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from cloudrig import Conflict, NotFound
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import resource_name
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-backend-services"
FINGERPRINT_ATTEMPTS = 4


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def short(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def same_group(a: str, b: str) -> bool:
    """Group references compare by their path from ``projects/`` (scheme and host differ)."""
    return _from_projects(a) == _from_projects(b)


def _from_projects(link: str) -> str:
    return link[link.find("projects/") :] if "projects/" in link else link


class Backends:
    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients

    def _key(self) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, "global", _SNAPSHOT)

    def snapshot(self, *, fresh: bool = False) -> dict[str, Any]:
        """Every backend service of the project by name (one paged list, cached briefly)."""
        compute_v1 = _compute()

        def load() -> dict[str, Any]:
            items = self.clients.collect(compute_v1.BackendServicesClient, "list")
            return {s.name: s for s in items}

        return self.clients.limiter.cache.get(self._key(), load, fresh=fresh)

    def invalidate(self) -> None:
        self.clients.limiter.cache.invalidate(self._key())

    def get(self, name: str, *, fresh: bool = False) -> Any:
        found = self.snapshot(fresh=fresh).get(name)
        if found is None:
            raise NotFound(
                f"backend service {name!r} does not exist",
                provider="gcp",
                account=self.clients.account,
                resource=name,
            )
        return found

    def serving(
        self,
        group_link: str,
        lb_names: Iterable[str],
        *,
        fresh: bool = False,
        services: dict[str, Any] | None = None,
    ) -> dict[str, float]:
        """{load balancer: capacityScaler} of the given load balancers that have the group (a
        backend at capacityScaler 0 is kept warm but receives no traffic). ``services``: a
        snapshot already read for this answer."""
        services = services if services is not None else self.snapshot(fresh=fresh)
        out: dict[str, float] = {}
        for lb in lb_names:
            service = services.get(resource_name(lb))
            for backend in getattr(service, "backends", []) or []:
                if same_group(backend.group, group_link):
                    out[lb] = float(backend.capacity_scaler)
        return out

    def modify(self, name: str, change: Callable[[list[Any]], list[Any] | None]) -> None:
        """Apply ``change`` to the backends of service ``name`` (it returns the new list, or
        ``None`` when nothing needs to change); a 412 on a stale fingerprint reads again."""
        compute_v1 = _compute()
        for attempt in range(FINGERPRINT_ATTEMPTS):
            # The one service, read now: its fingerprint must be the latest.
            service = self.clients.read(
                compute_v1.BackendServicesClient, "get", backend_service=name, resource=name
            )
            backends = change([compute_v1.Backend(b) for b in service.backends])
            if backends is None:
                return
            # A full update (PUT), not a patch: JSON drops an empty list, so a PATCH could never
            # remove the last backend. The fingerprint makes the read-modify-write safe.
            whole = compute_v1.BackendService(service)
            whole.backends = backends
            try:
                self.clients.mutate(
                    compute_v1.BackendServicesClient,
                    "update",
                    resource=name,
                    backend_service=name,
                    backend_service_resource=whole,
                )
                return
            except Conflict as conflict:
                if "412" not in str(conflict) or attempt == FINGERPRINT_ATTEMPTS - 1:
                    raise
            finally:
                self.invalidate()

    def add(self, lb: str, group_link: str, *, mode: str, rate: float, scaler: float = 1.0) -> None:
        compute_v1 = _compute()

        def change(backends: list[Any]) -> list[Any] | None:
            present = [b for b in backends if same_group(b.group, group_link)]
            if present:
                if all(b.capacity_scaler == scaler for b in present):
                    return None
                for b in present:
                    b.capacity_scaler = scaler
                return backends
            backend = compute_v1.Backend(
                group=group_link, balancing_mode=mode, capacity_scaler=scaler
            )
            if mode == "RATE":
                backend.max_rate_per_instance = rate
            else:
                backend.max_utilization = 0.8
            return [*backends, backend]

        self.modify(resource_name(lb), change)

    def remove(self, lb: str, group_link: str) -> None:
        def change(backends: list[Any]) -> list[Any] | None:
            kept = [b for b in backends if not same_group(b.group, group_link)]
            return kept if len(kept) != len(backends) else None

        with contextlib.suppress(NotFound):  # the load balancer is gone: the group is out of it
            self.modify(resource_name(lb), change)
