"""Backend services as the server groups see them: membership, capacityScaler, fingerprints.

A load balancer is a backend service (+ its health check), global or regional (``ServiceRef``:
an internal Application Load Balancer's INTERNAL_MANAGED service lives in one region); a server
group is in traffic when it is one of the service's backends at a capacityScaler above 0.

Every change is a ``patch`` of ``backends`` alone, carrying the ``fingerprint`` of the read it was
computed from: GCE refuses a stale one (412 ``conditionNotMet``) and the change is computed again
from a fresh read, so two writers never lose each other's backends, and the rest of the service —
write-only fields such as IAP's OAuth client secret included — is never sent back. The one
exception: removing the last backend needs a full ``update`` (JSON drops an empty list, so a
patch cannot express it), built from the read and carrying its fingerprint.

Writers in one process take turns per service (a lock per ``ServiceRef``): N deployments that
change one service at once would otherwise meet each other's fingerprints, each 412 costing a
read and a patch more; other processes still meet them, and the fingerprint keeps them safe.

Reads: one ``backendServices.list`` (or ``regionBackendServices.list``) per poll through the
limiter's short read cache (N waiting deployments in a process make one call); decisions read
fresh; every change invalidates it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from cloudrig import Conflict, NotFound
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.naming import resource_name
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-backend-services"
FINGERPRINT_ATTEMPTS = 4
PASSTHROUGH_SCHEMES = frozenset({"INTERNAL", "EXTERNAL"})
"""Schemes of regional backend services that pass packets through (no ``portName``)."""


def routes_by_port_name(service: Any, regional: bool) -> bool:
    """Whether ``service`` reaches its groups through the port its ``portName`` names: every
    proxy load balancer does; a regional passthrough one (INTERNAL, EXTERNAL) does not."""
    passthrough = regional and service.load_balancing_scheme in PASSTHROUGH_SCHEMES
    return bool(service.port_name) and not passthrough


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


class ServiceRef(NamedTuple):
    """Where a backend service lives: its GCE name, and its region (``None``: global)."""

    name: str
    region: str | None = None

    @classmethod
    def of(cls, lb: str, regional: Iterable[str], region: str) -> ServiceRef:
        """The service of load balancer ``lb`` for a group in ``region`` whose facts list the
        ``regional`` load balancers."""
        return cls(resource_name(lb), region if lb in set(regional) else None)


class Read(NamedTuple):
    """A backend service as read, and how many changes this process had made to it then."""

    service: Any
    writes: int


class Backends:
    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients
        self._locks: dict[ServiceRef, threading.Lock] = {}
        self._writes: dict[ServiceRef, int] = {}
        self._guard = threading.Lock()

    def _turn(self, ref: ServiceRef) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(ref, threading.Lock())

    def _key(self, region: str | None) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, region or "global", _SNAPSHOT)

    def _call(self, ref: ServiceRef) -> tuple[type, dict[str, Any]]:
        compute_v1 = _compute()
        if ref.region is None:
            return compute_v1.BackendServicesClient, {}
        return compute_v1.RegionBackendServicesClient, {"region": ref.region}

    def snapshot(self, region: str | None = None, *, fresh: bool = False) -> dict[str, Any]:
        """Every backend service by name, global (``region`` None) or of one region (one paged
        list, cached briefly)."""
        cls, scope = self._call(ServiceRef("", region))

        def load() -> dict[str, Any]:
            return {s.name: s for s in self.clients.collect(cls, "list", **scope)}

        return self.clients.limiter.cache.get(self._key(region), load, fresh=fresh)

    def invalidate(self, region: str | None = None) -> None:
        self.clients.limiter.cache.invalidate(self._key(region))

    def get(self, name: str, *, fresh: bool = False, region: str | None = None) -> Any:
        found = self.snapshot(region, fresh=fresh).get(name)
        if found is None:
            raise NotFound(
                f"backend service {name!r} does not exist"
                + (f" in {region}" if region else " (global)"),
                provider="gcp",
                account=self.clients.account,
                resource=name,
            )
        return found

    def read(self, ref: ServiceRef) -> Any:
        """The one service, read now (its fingerprint is the latest)."""
        cls, scope = self._call(ref)
        return self.clients.read(cls, "get", backend_service=ref.name, resource=ref.name, **scope)

    def current(self, ref: ServiceRef) -> Read:
        """Service ``ref`` read now, with this process's change count (for ``add``'s first try)."""
        writes = self._writes.get(ref, 0)
        return Read(self.read(ref), writes)

    def find(self, lb: str, region: str) -> tuple[ServiceRef, Read]:
        """Load balancer ``lb``'s backend service for a group in ``region``, read now: the global
        one, else the regional one (``NotFound`` when neither exists)."""
        for ref in (ServiceRef(resource_name(lb)), ServiceRef(resource_name(lb), region)):
            with contextlib.suppress(NotFound):
                return ref, self.current(ref)
        raise NotFound(
            f"load balancer {lb!r}: no backend service {resource_name(lb)!r}, global or in "
            f"{region}",
            provider="gcp",
            account=self.clients.account,
            resource=lb,
        )

    def serving(
        self, group_link: str, refs: dict[str, ServiceRef], services: Callable[[ServiceRef], Any]
    ) -> dict[str, float]:
        """{load balancer: capacityScaler} of the load balancers (name → where its service is)
        that have the group (a backend at capacityScaler 0 is kept warm but receives no
        traffic). ``services``: the service of a reference, from snapshots read for this answer."""
        out: dict[str, float] = {}
        for lb, ref in refs.items():
            for backend in getattr(services(ref), "backends", []) or []:
                if same_group(backend.group, group_link):
                    out[lb] = float(backend.capacity_scaler)
        return out

    def modify(
        self,
        ref: ServiceRef,
        change: Callable[[list[Any]], list[Any] | None],
        *,
        current: Read | None = None,
    ) -> None:
        """Apply ``change`` to the backends of service ``ref`` (it returns the new list, or
        ``None`` when nothing needs to change). ``current``: the service as read earlier, used
        for the first attempt unless this process changed the service since; a 412 on a stale
        fingerprint reads again."""
        with self._turn(ref):
            if current is not None and current.writes != self._writes.get(ref, 0):
                current = None
            self._modify(ref, change, current.service if current is not None else None)

    def _modify(
        self, ref: ServiceRef, change: Callable[[list[Any]], list[Any] | None], current: Any
    ) -> None:
        compute_v1 = _compute()
        cls, scope = self._call(ref)
        for attempt in range(FINGERPRINT_ATTEMPTS):
            service = current if current is not None and attempt == 0 else self.read(ref)
            backends = change([compute_v1.Backend(b) for b in service.backends])
            if backends is None:
                return
            if backends:
                method = "patch"
                body = compute_v1.BackendService(backends=backends, fingerprint=service.fingerprint)
            else:  # a patch cannot send an empty list: the whole service, as read, without any
                method = "update"
                body = compute_v1.BackendService(service)
                body.backends = []
            try:
                self.clients.mutate(
                    cls,
                    method,
                    resource=ref.name,
                    backend_service=ref.name,
                    backend_service_resource=body,
                    **scope,
                )
                with self._guard:
                    self._writes[ref] = self._writes.get(ref, 0) + 1
                return
            except Conflict as conflict:
                if "412" not in str(conflict) or attempt == FINGERPRINT_ATTEMPTS - 1:
                    raise
            finally:
                self.invalidate(ref.region)

    def add(
        self,
        ref: ServiceRef,
        group_link: str,
        *,
        mode: str,
        rate: float,
        scaler: float = 1.0,
        current: Read | None = None,
    ) -> None:
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

        self.modify(ref, change, current=current)

    def remove(self, ref: ServiceRef, group_link: str) -> None:
        def change(backends: list[Any]) -> list[Any] | None:
            kept = [b for b in backends if not same_group(b.group, group_link)]
            return kept if len(kept) != len(backends) else None

        with contextlib.suppress(NotFound):  # the load balancer is gone: the group is out of it
            self.modify(ref, change)
