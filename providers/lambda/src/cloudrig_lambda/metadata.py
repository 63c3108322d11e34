"""What a published version carries about itself, in its description.

Lambda tags live on the function, not on its versions, so the facts fixed at create time — the
cloudrig name, the moniker, the deployment id, the capacity and the capacity mode (provisioned
concurrency or on demand, ``capacity``) — are written where a version can carry them: the description given to ``PublishVersion`` (immutable once published, 256
characters). It is compact JSON with the original Unicode kept (``ensure_ascii=False``); a moniker
too long to fit is refused as ``InvalidSpec`` before anything is created. The function's own
description carries the cluster's moniker, so ``ListFunctions`` alone finds an app's functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cloudrig import Capacity, InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata

LIMIT = 256
MARK = "cloudrig"


@dataclass(frozen=True)
class VersionFacts:
    name: str
    metadata: ServerGroupMetadata
    capacity: Capacity
    provisioned: bool = False  # capacity mode: provisioned concurrency (True) or on demand


def _dump(value: dict[str, Any], what: str) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) > LIMIT:
        raise InvalidSpec(f"{what} takes {len(text)} characters; Lambda descriptions take {LIMIT}")
    return text


def version_description(
    name: str, metadata: ServerGroupMetadata, capacity: Capacity, provisioned: bool = False
) -> str:
    """The description of a new version. The capacity mode is a fourth item of the capacity,
    ``1``, written for provisioned concurrency only (2 characters of the 256): a version without
    it is on demand, as every version published before the mode existed was."""
    m = metadata.moniker
    value: dict[str, Any] = {
        MARK: 1,
        "g": name,
        "m": [m.app, m.stack, m.detail, m.sequence],
        "d": metadata.deployment_id,
        "c": [capacity.min, capacity.desired, capacity.max, *([1] if provisioned else [])],
    }
    return _dump(value, f"the metadata of {name}")


def function_description(moniker: Moniker) -> str:
    return _dump(
        {MARK: 1, "m": [moniker.app, moniker.stack, moniker.detail]},
        f"the cluster moniker of {moniker.cluster}",
    )


def _load(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text or "")
    except ValueError:
        return None
    return value if isinstance(value, dict) and value.get(MARK) == 1 else None


def read_version(description: str | None) -> VersionFacts | None:
    """The facts of a version published by cloudrig; None for any other version."""
    value = _load(description)
    if value is None or "g" not in value:
        return None
    app, stack, detail, sequence = value["m"]
    low, desired, high, *mode = value["c"]
    return VersionFacts(
        name=value["g"],
        metadata=ServerGroupMetadata(
            moniker=Moniker(app=app, stack=stack, detail=detail, sequence=sequence),
            deployment_id=value.get("d"),
        ),
        capacity=Capacity(min=low, desired=desired, max=high),
        provisioned=mode == [1],
    )


TAG_APP = "cloudrig:app"
"""The function's tag naming its cluster's app (in Lambda's tag alphabet, ``tag_values``): the
Resource Groups Tagging API finds an app's functions by it without a scan of the region."""


def function_app(description: str | None) -> str | None:
    """The (original) app of a function created by cloudrig."""
    value = _load(description)
    return str(value["m"][0]) if value is not None and "m" in value else None
