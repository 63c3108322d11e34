"""A version's capacity in its two modes, chosen per spec by ``settings.provisioned_concurrency``
and recorded in the version's description (``metadata``), so every version is read in its own
mode whatever the current spec says.

**On demand** (the default): Lambda scales the version itself, and cloudrig asks for nothing it
pays for. The version is one unit: ``desired`` 1 = it serves when routed to (one instance, the
version, whose health is its state and the verification invoke), ``desired`` 0 = scaled down
(what the strategies do to an old version after a red/black, and what a rollback restores from):
no instances. Lambda holds no such number, so the whole capacity is recorded by cloudrig: the
create-time one in the version's description, a later one in the function tag
``cloudrig:capacity:<version>`` = ``min/desired/max``. A resize writes that tag and makes no other
Lambda call. ``desired`` above 1 is refused: more than one unit means provisioned concurrency,
which is paid for and therefore asked for explicitly.

**Provisioned**: ``desired`` is the version's provisioned concurrency, read back from Lambda
(``provisioned``), so a change made outside cloudrig shows; the tag holds ``min/max`` only, written
when a resize changes them, and read back widened to hold Lambda's ``desired``.

In both modes ``min``/``max`` have no counterpart in Lambda (autoscaling provisioned concurrency
is Application Auto Scaling, not managed here): cloudrig keeps them because strategies restore a
group's capacity (rolling red/black's pin and unpin, rollback).
"""

from __future__ import annotations

import contextlib

from cloudrig import Capacity, InvalidSpec
from cloudrig_lambda.provisioned import Provisioned

TAG_PREFIX = "cloudrig:capacity:"
ON_DEMAND_MAX = 1  # a version on demand is one unit that Lambda scales itself


def tag_key(number: str) -> str:
    return f"{TAG_PREFIX}{number}"


def capacity_tag(capacity: Capacity, provisioned: bool) -> str:
    """The tag value that records ``capacity`` (``desired`` too when Lambda does not hold it)."""
    if provisioned:
        return f"{capacity.min}/{capacity.max}"
    return f"{capacity.min}/{capacity.desired}/{capacity.max}"


def _stored(tags: dict[str, str], number: str) -> list[int]:
    with contextlib.suppress(ValueError):
        return [int(part) for part in tags.get(tag_key(number), "").split("/")]
    return []


def check_on_demand(name: str, capacity: Capacity) -> None:
    """Refuse a capacity a version on demand cannot have, naming the field and the way out."""
    if capacity.desired > ON_DEMAND_MAX:
        raise InvalidSpec(
            f"{name}: capacity.desired {capacity.desired} on demand: a Lambda version on demand "
            f"is one unit that Lambda scales itself (desired 0 or {ON_DEMAND_MAX}); set "
            "settings.provisioned_concurrency: true to make capacity.desired the version's "
            "provisioned concurrency (paid for, environments kept initialised)",
            resource=name,
        )


def on_demand_capacity(created: Capacity, tags: dict[str, str], number: str) -> Capacity:
    """The recorded capacity of a version on demand: the tag's, else the create-time one."""
    stored = _stored(tags, number)
    if len(stored) == 3:
        with contextlib.suppress(ValueError):
            return Capacity(min=stored[0], desired=stored[1], max=stored[2])
    return created


def provisioned_capacity(
    created: Capacity, tags: dict[str, str], number: str, config: Provisioned | None
) -> Capacity:
    """``desired`` from Lambda (no config: 0), ``min``/``max`` from the tag (or the create-time
    description), widened to hold ``desired``."""
    low, high = created.min, created.max
    stored = _stored(tags, number)
    if len(stored) == 2:
        low, high = stored
    desired = config.requested if config is not None else 0
    return Capacity(min=min(low, desired), desired=desired, max=max(high, desired))
