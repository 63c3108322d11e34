"""The facts a service carries about itself, in its tags (written in ``CreateService``).

ECS tags take 128-character keys and 256-character values; a moniker part longer than that is
refused as ``InvalidSpec`` before anything is created. Capacity ``min``/``max`` travel here too
(ECS knows only the desired count); resize rewrites them with ``TagResource``.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudrig import Capacity, InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata

P = "cloudrig:"
APP, STACK, DETAIL, SEQUENCE = f"{P}app", f"{P}stack", f"{P}detail", f"{P}sequence"
DEPLOYMENT, NAME, MIN, MAX = f"{P}deployment-id", f"{P}name", f"{P}min", f"{P}max"
LBS, SGS, ENABLED = f"{P}load-balancers", f"{P}security-groups", f"{P}enabled"


def metadata_tags(name: str, metadata: ServerGroupMetadata, capacity: Capacity) -> dict[str, str]:
    m = metadata.moniker
    tags = {
        NAME: name,
        APP: m.app,
        STACK: m.stack,
        DETAIL: m.detail,
        SEQUENCE: "" if m.sequence is None else str(m.sequence),
        MIN: str(capacity.min),
        MAX: str(capacity.max),
    }
    if metadata.deployment_id is not None:
        tags[DEPLOYMENT] = metadata.deployment_id
    for key, value in tags.items():
        if len(value) > 256:
            raise InvalidSpec(f"{key} of {name} takes {len(value)} characters; ECS tags take 256")
    return tags


def as_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def as_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["key"]: t.get("value", "") for t in tags or []}


def read_metadata(tags: Mapping[str, str]) -> ServerGroupMetadata | None:
    if APP not in tags:
        return None
    sequence = tags.get(SEQUENCE) or None
    return ServerGroupMetadata(
        moniker=Moniker(
            app=tags[APP],
            stack=tags.get(STACK, ""),
            detail=tags.get(DETAIL, ""),
            sequence=int(sequence) if sequence else None,
        ),
        deployment_id=tags.get(DEPLOYMENT),
    )


def read_capacity(tags: Mapping[str, str], desired: int) -> Capacity:
    low = int(tags.get(MIN, desired))
    high = int(tags.get(MAX, desired))
    return Capacity(min=min(low, desired), desired=desired, max=max(high, desired))
