"""The handle ``rig.deploy`` returns: its events (iterated, live when it runs in the background)
and its final status; and ``DeploymentEngine``, what an engine plugin provides for the
deployments it runs (the ``cloudrig_deployments`` hook)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from cloudrig._model._resources import Moniker
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord, DeploymentStatus

EventCallback = Callable[[DeploymentEvent], None]


class Deployment:
    """One deployment as ``rig.deploy`` (or resume, promote, rollback, abort) returns it: its
    ``record`` once it exists, its ``events()`` in order (live while it runs in the background),
    its ``status``; ``wait`` for a background run, ``raise_for_status`` to fail loudly."""

    def __init__(self, on_event: EventCallback | None = None) -> None:
        self.id: str | None = None
        self.record: DeploymentRecord | None = None
        self._events: list[DeploymentEvent] = []
        self._on_event = on_event
        self._cond = threading.Condition()
        self._done = False
        self._exception: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<Deployment {self.id} {self.status.value if self.record else 'starting'}>"

    # -- for the engine that runs it (the embedded one, or an engine plugin's) ------------------
    def publish(self, event: DeploymentEvent) -> None:
        """Hand ``event`` to ``events()`` and to the ``on_event`` callback (whose exceptions are
        logged, never raised)."""
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:  # like the hooks: an observer never fails a deployment
                logging.getLogger("cloudrig.engine").exception("on_event callback failed")

    def finish(self, exception: BaseException | None = None) -> None:
        """The run returned: ``events()`` ends, ``done`` is true, and ``wait`` re-raises
        ``exception`` (what stopped it) if any. Set ``record`` (and ``id``) before."""
        with self._cond:
            self._exception = exception
            self._done = True
            self._cond.notify_all()

    def run_in_background(self, target: Callable[[], None]) -> None:
        """Run ``target`` (which ends with ``finish``) in a daemon thread that ``wait`` joins."""
        self._thread = threading.Thread(target=target, name="cloudrig-deploy", daemon=True)
        self._thread.start()

    # -- for the caller --------------------------------------------------------------------------
    @property
    def status(self) -> DeploymentStatus:
        """The record's status (``RUNNING`` until the record exists)."""
        if self.record is None:
            return DeploymentStatus.RUNNING
        return self.record.status

    @property
    def error(self) -> str | None:
        """Why it failed or was stopped (the record's ``error``), or None."""
        return self.record.error if self.record else None

    @property
    def done(self) -> bool:
        """The run returned (finished, paused at an approval gate, or stopped by an error)."""
        return self._done

    def events(self) -> Iterator[DeploymentEvent]:
        """Every event of this run, in order; blocks for new ones while it runs in the background."""
        index = 0
        while True:
            with self._cond:
                while index >= len(self._events) and not self._done:
                    self._cond.wait()
                if index >= len(self._events):
                    return
                event = self._events[index]
            index += 1
            yield event

    def wait(self, timeout: float | None = None) -> Deployment:
        """Wait for a background run; re-raise what stopped it (a lost lease, an unreachable
        store). A failed-and-restored deployment is not an exception: see ``status``."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self._exception is not None:
            raise self._exception
        return self

    def raise_for_status(self) -> Deployment:
        """Raise ``DeploymentFailed`` unless the deployment succeeded or awaits approval."""
        from cloudrig.engine._errors import DeploymentError

        if self.status not in (DeploymentStatus.SUCCEEDED, DeploymentStatus.AWAITING_APPROVAL):
            raise DeploymentError(f"deployment {self.id} {self.status.value}: {self.error}")
        return self


class DeploymentEngine(Protocol):
    """The deployments of an engine other than the embedded one (cloudrig-temporal's workers,
    say), as a plugin returns them from the ``cloudrig_deployments`` hook: ``rig.deployments``,
    ``rig.deployment``, ``rig.deployment_events``, ``rig.resume``, ``rig.promote``,
    ``rig.abort`` and ``rig.rollback`` — and so ``cloudrig deployments``, ``deployments show``,
    ``resume``, ``promote``, ``abort`` and ``rollback`` — read and act through it. Each acts as
    the embedded engine's does: the same records, events, statuses and errors
    (``DeploymentNotFound``, ``DeploymentError`` for a promote of a deployment not at a gate or
    an abort of a finished one); the returned handle is done when the deployment finished or
    waits at a gate."""

    def find(self, *, unfinished: bool | None = True) -> list[DeploymentRecord]:
        """Its deployments, newest first (``unfinished=True``: those in flight)."""
        ...

    def get(self, deployment_id: str) -> DeploymentRecord:
        """One deployment's record; ``DeploymentNotFound`` when it has none of that id."""
        ...

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        """Every event of one deployment, in order."""
        ...

    def resume(
        self, deployment_id: str, *, on_event: EventCallback | None = None, migrate: bool = False
    ) -> Deployment:
        """Follow (or continue) a deployment until it finishes or waits at a gate."""
        ...

    def promote(
        self, deployment_id: str, *, approve: bool = True, on_event: EventCallback | None = None
    ) -> Deployment:
        """Answer the gate it waits at (``approve=False``: roll it back), then follow it."""
        ...

    def abort(self, deployment_id: str, *, on_event: EventCallback | None = None) -> Deployment:
        """Undo an unfinished deployment, then mark it ``aborted``."""
        ...

    def rollback(
        self,
        account: str,
        cluster: str | Moniker,
        region: str | None = None,
        *,
        on_event: EventCallback | None = None,
    ) -> Deployment:
        """Roll the cluster back: its unfinished deployment is restored; otherwise the group
        that served before its last deployment takes the traffic back."""
        ...
