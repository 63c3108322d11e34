"""What the deployment engine tells providers about the calls it makes, so they can leave out
requests whose answer is known: context variables, like ``cloudrig.ratelimit.fresh_reads``.

``without_instances`` / ``instances_wanted`` — what a cluster listing is read for. A listing (``server_groups.list``) returns every group with its instances and their health. Some
of the engine's listings use only each group's name, capacity and whether it serves — the
current traffic shares before a switch, the groups still enabled after it, the groups to scale
down or prune — and read them inside ``without_instances()``. A provider whose listing reads each
group's instance health with requests of its own (ECS: the tasks and target health of every
service) may skip them while ``instances_wanted()`` is False and return the groups with no
instances; one whose listing answers health in the same requests ignores it. Nothing that
counts healthy instances (the snapshot a rollback restores, the health waits) lists in that
scope.

``creating_anew`` / ``created_before`` — whether a create may have been sent before. On the
first run of a step, the first attempt of its create cannot find anything this deployment made
(the name was reserved from the listing, no earlier attempt exists), so a provider may skip the
reads that look for a crashed attempt's leftovers carrying this deployment's id (ECS: a task
definition revision). Never the reads that check the name against others' groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_INSTANCES: ContextVar[bool] = ContextVar("cloudrig_listing_instances", default=True)
_ANEW: ContextVar[bool] = ContextVar("cloudrig_creating_anew", default=False)


@contextmanager
def without_instances() -> Iterator[None]:
    """Within this block (thread or asyncio task), listings may leave out instance health."""
    token = _INSTANCES.set(False)
    try:
        yield
    finally:
        _INSTANCES.reset(token)


def instances_wanted() -> bool:
    """False inside ``without_instances()``: the caller reads no group's instances."""
    return _INSTANCES.get()


@contextmanager
def creating_anew() -> Iterator[None]:
    """Within this block, the create being sent is this deployment's first for its name."""
    token = _ANEW.set(True)
    try:
        yield
    finally:
        _ANEW.reset(token)


def created_before() -> bool:
    """Whether an earlier attempt of this deployment may have sent this create (True unless
    inside ``creating_anew()``: when unknown, assume it may have)."""
    return not _ANEW.get()
