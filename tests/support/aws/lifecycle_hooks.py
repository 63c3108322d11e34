"""Lifecycle hooks given in ``CreateAutoScalingGroup`` (``LifecycleHookSpecificationList``),
which moto ignores: patched into moto's Auto Scaling responses in process, the hooks are created
with the group, as AWS does (API reference, CreateAutoScalingGroup)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.autoscaling.responses import AutoScalingResponse


class LifecycleHookSpecifications:
    def __init__(self) -> None:
        self._original: Callable[..., Any] | None = None

    def install(self) -> None:
        original = self._original = AutoScalingResponse.create_auto_scaling_group

        def create_auto_scaling_group(response: AutoScalingResponse) -> Any:
            answer = original(response)
            name = response._get_param("AutoScalingGroupName")
            for hook in response._get_param("LifecycleHookSpecificationList", []):
                timeout = hook.get("HeartbeatTimeout")
                response.autoscaling_backend.create_lifecycle_hook(
                    name=hook["LifecycleHookName"],
                    as_name=name,
                    transition=hook["LifecycleTransition"],
                    timeout=int(timeout) if timeout is not None else None,
                    result=hook.get("DefaultResult", "ABANDON"),
                )
            return answer

        AutoScalingResponse.create_auto_scaling_group = create_auto_scaling_group  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            AutoScalingResponse.create_auto_scaling_group = self._original  # type: ignore[method-assign]
            self._original = None
