"""The plugin module named by the ``cloudrig`` entry point.

It registers its hooks only when the OpenTelemetry environment asks for export
(``cloudrig_otel.enabled_by_environment``): otherwise it implements no hook, so the limiter's
gate observes nothing and no OpenTelemetry module is imported. When it does, one ``Telemetry``
on the pipeline the environment describes is built on the first hook call (or by ``telemetry()``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cloudrig.provider import hookimpl
from cloudrig_otel._environment import check_exporters, enabled_by_environment

if TYPE_CHECKING:
    from cloudrig_otel._telemetry import Telemetry

_lock = threading.Lock()
_telemetry: Telemetry | None = None


def telemetry() -> Telemetry:
    """The process's ``Telemetry`` on the environment's pipeline, built once. When the
    application installed an SDK tracer provider globally already, that one is used instead."""
    global _telemetry
    with _lock:
        if _telemetry is None:
            from cloudrig_otel._telemetry import Telemetry

            _telemetry = Telemetry.from_environment()
        return _telemetry


if enabled_by_environment():
    check_exporters()  # an unknown exporter fails loading the plugin, naming the variable

    @hookimpl
    def cloudrig_deployment_event(event: Any) -> None:
        telemetry().cloudrig_deployment_event(event)

    @hookimpl
    def cloudrig_step(step: Any) -> None:
        telemetry().cloudrig_step(step)

    @hookimpl
    def cloudrig_request(observation: Any) -> None:
        telemetry().cloudrig_request(observation)
