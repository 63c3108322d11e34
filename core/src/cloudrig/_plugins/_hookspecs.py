"""The hooks a cloudrig plugin may implement (pluggy, project name ``cloudrig``).

A plugin is a module registered under the ``cloudrig`` entry-point group (or loaded by name with
``connect(plugins=[...])``, ``cloudrig -p`` or ``CLOUDRIG_PLUGINS``) whose functions are marked with
``cloudrig.provider.hookimpl``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pluggy reads only the argument names: the models load with their users
    from cloudrig.provider._authorization import Decision
    from cloudrig.provider._descriptor import ProviderDescriptor

hookspec = pluggy.HookspecMarker("cloudrig")
hookimpl = pluggy.HookimplMarker("cloudrig")


@hookspec
def cloudrig_providers() -> Sequence[ProviderDescriptor]:  # type: ignore[empty-body]
    """Return the descriptors of the providers this plugin contributes."""


@hookspec
def cloudrig_authorize(
    principal: str | None, action: str, account: str, resource: str
) -> Decision | None:
    """Allow or deny a mutating operation; ``None`` abstains. Any deny wins; no answer allows."""


# -- deployments (cloudrig.engine, cloudrig.strategies, cloudrig.canary) -------------------------
# Typed loosely here so this module stays import-light; the types are named in the docstrings.


@hookspec(firstresult=True)
def cloudrig_deploy(
    rig: Any, spec: Any, strategy: Any, on_event: Any, background: bool, idempotency_key: Any
) -> Any:
    """Run ``rig.deploy`` on another engine (cloudrig-temporal's workers, say): return its
    ``cloudrig.engine.Deployment`` handle, or ``None`` to leave it to the embedded engine."""


@hookspec(firstresult=True)
def cloudrig_deployments(rig: Any) -> Any:
    """The deployments of the engine ``cloudrig_deploy`` sends them to, for everything done with
    one afterwards (listing, reading, resume, promote, abort, rollback): a
    ``cloudrig.engine.DeploymentEngine``, or ``None`` for the embedded engine's state store."""


@hookspec
def cloudrig_deployment_event(event: Any) -> None:
    """Observe every step of every deployment (a ``cloudrig.engine.DeploymentEvent``): started,
    created, waiting, healthy, traffic moved, disabled, approval needed, rolled back, failed, done.
    An exception here is logged and ignored: observing never fails or rolls back a deployment."""


@hookspec
def cloudrig_step(step: Any) -> None:
    """A step of a deployment's plan (or its restore) starts or ends (a
    ``cloudrig.engine.StepObservation``: deployment id, step, ``finished``, the error's class).
    Called on the thread that runs the step, before and after it. An exception here is logged
    and ignored."""


@hookspec
def cloudrig_request(observation: Any) -> None:
    """One API call a provider made through the limiter's gate, every attempt together (a
    ``cloudrig.ratelimit.RequestObservation``: service, operation, region, call class, limiter
    wait, attempts, throttled answers, outcome, and the deployment step that made it). Called on
    the calling thread once the call returned or raised; names and classes only, never a
    parameter or credential. With no implementation the gate observes nothing (no cost). An
    exception here is logged and ignored."""


@hookspec
def cloudrig_canary_metrics(request: Any) -> Mapping[str, Any] | None:
    """Samples for one canary analysis interval (``request``: ``cloudrig.canary.MetricsRequest``):
    ``{metric: MetricSamples(canary=..., baseline=...)}`` (or plain mappings). Answers of several
    plugins are merged; a metric nobody answers for counts as no data."""


@hookspec
def cloudrig_metric_sources() -> Sequence[Any]:  # type: ignore[empty-body]
    """Return the descriptors (``cloudrig.canary.MetricSourceDescriptor``) of the metric sources
    this plugin contributes: what a canary metric's ``source`` may be configured as."""


@hookspec(firstresult=True)
def cloudrig_canary_judge(name: str) -> Any:
    """Return the judge called ``name`` (an object with ``judge(JudgeRequest) -> Analysis``), or
    ``None``. The built-in ``mann-whitney`` answers when no plugin does."""


@hookspec
def cloudrig_strategies() -> Sequence[type]:  # type: ignore[empty-body]
    """Contribute ``cloudrig.strategies.Strategy`` subclasses (each with a unique ``name``), usable
    by name in YAML specs and resumable from the state store."""
