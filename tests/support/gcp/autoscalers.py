"""Regional autoscalers (``regionAutoscalers``): insert, get, list, patch, update, delete.

Stored, validated, never run: ``target`` must be a managed instance group of the region,
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
from .store import Store, resolve


class RegionAutoscalers:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.collection = Collection(
            store,
            collection="autoscalers",
            message=compute_v1.Autoscaler,
            list_message=compute_v1.RegionAutoscalerList,
            kind="compute#autoscaler",
            name_field="autoscaler",
            body_field="autoscaler_resource",
            regional=True,
        )

    def _validate(self, request: Any, autoscaler: compute_v1.Autoscaler) -> None:
        if not autoscaler.target:
            raise invalid("Required field 'resource.target' not specified")
        autoscaler.target = resolve(autoscaler.target, request.project, request.region)
        self.store.get(autoscaler.target, compute_v1.InstanceGroupManager)  # 404 when missing
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
        return {
            "regionAutoscalers.insert": lambda req, keys: self.insert(req),
            "regionAutoscalers.get": lambda req, keys: c.get(req),
            "regionAutoscalers.list": lambda req, keys: c.list(req),
            "regionAutoscalers.patch": lambda req, keys: self.replace(req, keys, patch=True),
            "regionAutoscalers.update": lambda req, keys: self.replace(req, keys, patch=False),
            "regionAutoscalers.delete": lambda req, keys: c.delete(req),
        }
