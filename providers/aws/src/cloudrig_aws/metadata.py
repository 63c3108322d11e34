"""The create-time facts a server group carries in AWS: its moniker, deployment id and load
balancers, as Auto Scaling group tags (and launch template tags) written in the create calls.

Tag values take 256 Unicode characters, so the original moniker fits as it is (names are mapped
and hashed; tags are not). Written in the create call itself, never in a second one, so a
deployment that crashes right after creating finds its group again by deployment id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cloudrig import InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata

PREFIX = "cloudrig:"
APP, STACK, DETAIL = f"{PREFIX}app", f"{PREFIX}stack", f"{PREFIX}detail"
SEQUENCE, DEPLOYMENT = f"{PREFIX}sequence", f"{PREFIX}deployment-id"
LOAD_BALANCERS, ARTIFACT = f"{PREFIX}load-balancers", f"{PREFIX}artifact"
SECURITY_GROUPS = f"{PREFIX}security-groups"
MAX_VALUE = 256


def to_tags(
    metadata: ServerGroupMetadata,
    user_tags: Mapping[str, str],
    load_balancers: Iterable[str],
    artifact: str | None = None,
    security_groups: Iterable[str] = (),
) -> dict[str, str]:
    """The spec's own tags plus cloudrig's; the ``cloudrig:`` prefix is reserved."""
    reserved = sorted(k for k in user_tags if k.startswith(PREFIX) or k.startswith("aws:"))
    if reserved:
        raise InvalidSpec(
            f"tags {', '.join(reserved)}: the prefixes 'cloudrig:' and 'aws:' are reserved",
            provider="aws",
        )
    m = metadata.moniker
    tags = {APP: m.app, STACK: m.stack, DETAIL: m.detail}
    if m.sequence is not None:
        tags[SEQUENCE] = str(m.sequence)
    if metadata.deployment_id is not None:
        tags[DEPLOYMENT] = metadata.deployment_id
    if artifact is not None:
        tags[ARTIFACT] = artifact
    sgs = ",".join(security_groups)
    if sgs:
        tags[SECURITY_GROUPS] = sgs
    lbs = ",".join(load_balancers)
    if lbs:
        tags[LOAD_BALANCERS] = lbs
    too_long = [k for k, v in tags.items() if len(v) > MAX_VALUE]
    if too_long:
        raise InvalidSpec(
            f"{', '.join(too_long)}: AWS tag values take at most {MAX_VALUE} characters",
            provider="aws",
        )
    return {**user_tags, **tags}


def from_tags(tags: Mapping[str, str]) -> ServerGroupMetadata | None:
    """The metadata stored at create, or ``None`` for a group cloudrig did not create."""
    if APP not in tags:
        return None
    sequence = tags.get(SEQUENCE)
    moniker = Moniker(
        app=tags[APP],
        stack=tags.get(STACK, ""),
        detail=tags.get(DETAIL, ""),
        sequence=int(sequence) if sequence and sequence.isdigit() else None,
    )
    return ServerGroupMetadata(moniker=moniker, deployment_id=tags.get(DEPLOYMENT))


def load_balancers(tags: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(n for n in tags.get(LOAD_BALANCERS, "").split(",") if n)


def security_groups(tags: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(n for n in tags.get(SECURITY_GROUPS, "").split(",") if n)


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith(PREFIX)}


def as_dict(tag_list: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}, ...]`` as a mapping."""
    return {t["Key"]: t.get("Value", "") for t in tag_list}
