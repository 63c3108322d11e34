"""Autoscalers, regional (``regionAutoscalers``) and zonal (``autoscalers``): insert, get, list,
patch, update, delete.

Stored, validated, never run: ``target`` must be a managed instance group of the autoscaler's own
scope (a regional autoscaler scales a regional group of its region, a zonal one a zonal group of
its zone),
``autoscalingPolicy.maxNumReplicas`` is required and ``minNumReplicas`` must not exceed it; mode
defaults to ON as in GCE and is one of ON, OFF, ONLY_SCALE_OUT; CPU and load-balancing
utilization targets are in (0, 1]. A patch merges (a bounds-only patch keeps the mode). No autoscaler ever changes a group's size here (GCE's would, in mode ON
or ONLY_SCALE_OUT); cloudrig-gcp uses mode OFF, which only records the bounds.
"""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from .crud import Collection, Mutation
from .errors import invalid
from .store import Store, link, resolve


class Autoscalers:
    """The regional collection, or (``zonal``) the zonal one."""

    def __init__(self, store: Store, *, zonal: bool = False) -> None:
        self.store = store
        self.prefix = "autoscalers." if zonal else "regionAutoscalers."
        self.collection = Collection(
            store,
            collection="autoscalers",
            message=compute_v1.Autoscaler,
            list_message=compute_v1.AutoscalerList if zonal else compute_v1.RegionAutoscalerList,
            kind="compute#autoscaler",
            name_field="autoscaler",
            body_field="autoscaler_resource",
            regional=not zonal,
            zonal=zonal,
        )

    def _validate(self, request: Any, autoscaler: compute_v1.Autoscaler) -> None:
        if not autoscaler.target:
            raise invalid("Required field 'resource.target' not specified")
        region = None if self.collection.zonal else request.region
        autoscaler.target = resolve(autoscaler.target, request.project, region)
        self.store.get(autoscaler.target, compute_v1.InstanceGroupManager)  # 404 when missing
        scope = self.collection.scope(request)
        if not autoscaler.target.startswith(link(scope, "instanceGroupManagers", "")):
            raise invalid(
                f"Invalid value for field 'resource.target': '{autoscaler.target}'. The target "
                f"must be a managed instance group of the autoscaler's scope '{scope}'."
            )
        policy = autoscaler.autoscaling_policy
        if "max_num_replicas" not in policy:
            raise invalid(
                "Required field 'resource.autoscalingPolicy.maxNumReplicas' not specified"
            )
        if policy.min_num_replicas > policy.max_num_replicas:
            raise invalid(
                "Invalid value for field 'resource.autoscalingPolicy.minNumReplicas': "
                f"'{policy.min_num_replicas}'. Must not exceed maxNumReplicas."
            )
        policy.mode = policy.mode or "ON"
        if policy.mode not in ("ON", "OFF", "ONLY_SCALE_OUT"):
            raise invalid(
                f"Invalid value for field 'resource.autoscalingPolicy.mode': '{policy.mode}'."
            )
        for field in ("cpu_utilization", "load_balancing_utilization"):
            target = getattr(policy, field).utilization_target if field in policy else None
            if target is not None and not 0 < target <= 1:
                raise invalid(
                    f"Invalid value for field 'resource.autoscalingPolicy.{field}"
                    f".utilizationTarget': '{target}'. Must be in (0, 1]."
                )

    def insert(self, request: Any) -> Mutation:
        autoscaler = self.collection.body(request)
        self._validate(request, autoscaler)
        return self.collection.insert(request, autoscaler)

    def replace(self, request: Any, keys: set[str], *, patch: bool) -> Mutation:
        def validate(old: compute_v1.Autoscaler, new: compute_v1.Autoscaler) -> None:
            self._validate(request, new)

        return self.collection.replace(request, keys, patch=patch, validate=validate)

    def handlers(self) -> dict[str, Any]:
        c = self.collection
        p = self.prefix
        return {
            p + "insert": lambda req, keys: self.insert(req),
            p + "get": lambda req, keys: c.get(req),
            p + "list": lambda req, keys: c.list(req),
            p + "patch": lambda req, keys: self.replace(req, keys, patch=True),
            p + "update": lambda req, keys: self.replace(req, keys, patch=False),
            p + "delete": lambda req, keys: c.delete(req),
        }
