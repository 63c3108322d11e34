"""Capacity bounds: a regional autoscaler in mode OFF, named like its group.

A managed instance group has one size (``targetSize``); GCE keeps minimum and maximum only on an
autoscaler. cloudrig records ``Capacity.min``/``max`` on a regional autoscaler whose mode is OFF:
it stores the bounds and never resizes the group, so the size stays cloudrig's (and manual
resizes stay allowed). A group whose bounds equal its desired size needs none, so the common
fixed-size group costs no autoscaler calls; resize inserts, patches or deletes it as needed.
"""

from __future__ import annotations

from typing import Any

from cloudrig import Capacity, NotFound
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-autoscalers"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def needs_bounds(capacity: Capacity) -> bool:
    return not (capacity.min == capacity.desired == capacity.max)


class Autoscalers:
    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients

    def _key(self, region: str) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, region, _SNAPSHOT)

    def snapshot(self, region: str, *, fresh: bool = False) -> dict[str, Any]:
        """Every autoscaler of the region by name (one paged list, cached briefly)."""

        def load() -> dict[str, Any]:
            items = self.clients.collect(_compute().RegionAutoscalersClient, "list", region=region)
            return {a.name: a for a in items}

        return self.clients.limiter.cache.get(self._key(region), load, fresh=fresh)

    def bounds(self, region: str, name: str, *, fresh: bool = False) -> tuple[int, int] | None:
        found = self.snapshot(region, fresh=fresh).get(name)
        if found is None:
            return None
        policy = found.autoscaling_policy
        return int(policy.min_num_replicas), int(policy.max_num_replicas)

    def _resource(self, region: str, name: str, capacity: Capacity) -> Any:
        compute_v1 = _compute()
        return compute_v1.Autoscaler(
            name=name,
            description="cloudrig: capacity bounds only (mode OFF never resizes)",
            target=f"projects/{self.clients.project}/regions/{region}/instanceGroupManagers/{name}",
            autoscaling_policy=compute_v1.AutoscalingPolicy(
                mode="OFF", min_num_replicas=capacity.min, max_num_replicas=capacity.max
            ),
        )

    def apply(
        self, region: str, name: str, capacity: Capacity, *, exists: bool | None = None
    ) -> None:
        """Make the recorded bounds match ``capacity`` (insert, patch or delete)."""
        compute_v1 = _compute()
        if exists is None:
            exists = self.bounds(region, name, fresh=True) is not None
        try:
            if not needs_bounds(capacity):
                if exists:
                    self.delete(region, name)
                return
            if exists:
                if self.bounds(region, name) == (capacity.min, capacity.max):
                    return
                self.clients.mutate(
                    compute_v1.RegionAutoscalersClient,
                    "patch",
                    resource=name,
                    region=region,
                    autoscaler=name,
                    autoscaler_resource=self._resource(region, name, capacity),
                )
            else:
                self.clients.mutate(
                    compute_v1.RegionAutoscalersClient,
                    "insert",
                    resource=name,
                    region=region,
                    autoscaler_resource=self._resource(region, name, capacity),
                )
        finally:
            self.clients.limiter.cache.invalidate(self._key(region))

    def delete(self, region: str, name: str) -> None:
        try:
            self.clients.mutate(
                _compute().RegionAutoscalersClient,
                "delete",
                resource=name,
                region=region,
                autoscaler=name,
            )
        except NotFound:
            pass
        finally:
            self.clients.limiter.cache.invalidate(self._key(region))
