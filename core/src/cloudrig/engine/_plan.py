"""A deployment is a plan of steps; the executor persists which one it reached.

Steps must be idempotent: a step interrupted by a crash runs again on resume, so each one looks at
the cloud and converges (a create finds its group by name and deployment id, a resize to the same
capacity is skipped, a disable of a disabled group is skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[Run], None]
    gate: Callable[[Run], bool] | None = None
    """An approval gate before the step: when it answers True the deployment pauses until a human
    approves (``rig.promote`` / ``cloudrig promote``) or rejects (which rolls back)."""


def always(_: Run) -> bool:
    return True


# Imported last, not under TYPE_CHECKING, so ``typing.get_type_hints`` resolves the public
# signatures above; at the bottom the import cycle between these modules is harmless.
from cloudrig.engine._run import Run  # noqa: E402
