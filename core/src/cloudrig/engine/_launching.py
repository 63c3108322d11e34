"""Running a deployment's body in the caller's thread or in the background, releasing a lease,
and events that belong to no run of the deployment (waiting for a lease, joining another's)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudrig.engine._deployment import Deployment
from cloudrig.engine._errors import StateStoreUnavailable
from cloudrig.engine._lease import Lease
from cloudrig.engine._records import DeploymentEvent, EventKind
from cloudrig.ratelimit import read_your_writes

if TYPE_CHECKING:
    from cloudrig._rig import Rig

log = logging.getLogger("cloudrig.engine")


def launch(handle: Deployment, body: Callable[[], None], background: bool) -> Deployment:
    def target() -> None:
        try:
            # Its own writes invalidate only its own cached reads while it runs (concurrent
            # deployments keep sharing their polls); everyone sees them once it ends.
            with read_your_writes():
                body()
        except BaseException as exc:
            handle.finish(exc)
            if not background:
                raise
            return
        handle.finish()

    if background:
        handle.run_in_background(target)
    else:
        target()
    return handle


def release(lease: Lease) -> None:
    with contextlib.suppress(StateStoreUnavailable):  # unreachable: it expires by itself
        lease.release()


def announce(
    rig: Rig,
    handle: Deployment,
    deployment_id: str | None,
    kind: EventKind,
    message: str,
    **data: Any,
) -> None:
    """An event outside a deployment's own run (no lease held, or another worker's deployment):
    to the caller, the hooks and the log, not to the deployment's stored events."""
    event = DeploymentEvent(
        deployment_id=deployment_id or "(new)",
        seq=0,
        time=rig.clock.now(),
        kind=kind,
        message=message,
        data=data,
    )
    log.info("%s", message)
    handle.publish(event)
    try:
        rig.registry.manager.hook.cloudrig_deployment_event(event=event)
    except Exception:
        log.exception("a cloudrig_deployment_event hook failed on %s", kind.value)
