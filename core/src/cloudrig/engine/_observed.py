"""Steps as observers see them: the ``cloudrig_step`` hook around each step the executor runs.

``observed_step`` wraps one step of a plan (or the restore, or the completion of a resumed run's
pending operation): the requests made inside are tagged with the deployment and the step
(``cloudrig.ratelimit.observing_step``), and plugins implementing ``cloudrig_step`` hear it start
and finish on the thread that runs it. With no such plugin nothing is called.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cloudrig.ratelimit import observing_step

log = logging.getLogger("cloudrig.engine")


@dataclass(frozen=True)
class StepObservation:
    """One step of one deployment starting (``finished=False``) or ending."""

    deployment_id: str
    step: str
    """The plan's step name, or ``restore`` / ``resume`` (completing a resumed run's operation)."""
    index: int | None
    """The step's position in the plan; ``None`` for the restore and the resume."""
    finished: bool
    error: str | None = None
    """When finished by an exception: its class name (never its message)."""


@contextmanager
def observed_step(hooks: Any, deployment_id: str, step: str, index: int | None) -> Iterator[None]:
    """Run the body as ``step`` of ``deployment_id`` (see the module docstring)."""
    caller = getattr(hooks, "cloudrig_step", None)
    with observing_step(deployment_id, step):
        if caller is None or not caller.get_hookimpls():
            yield
            return
        _notify(caller, StepObservation(deployment_id, step, index, finished=False))
        error: str | None = None
        try:
            yield
        except BaseException as exc:
            error = type(exc).__name__
            raise
        finally:
            _notify(caller, StepObservation(deployment_id, step, index, True, error))


def _notify(caller: Any, observation: StepObservation) -> None:
    try:
        caller(step=observation)
    except Exception:  # an observer never fails or rolls back a deployment
        log.exception("a cloudrig_step hook failed on %s", observation.step)
