"""The create-time facts a server group carries in the cloud: its moniker and deployment id.

They are written as tags in the create request itself — never in a second call — so a deployment
that crashes right after creating finds its group again by deployment id. The example cloud's tags
take keys ``[a-z0-9:._-]{1,64}`` and values of up to 256 characters of any script, so the original
moniker fits as it is (no hashing, unlike names).
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudrig import InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata

PREFIX = "cloudrig:"
APP, STACK, DETAIL = f"{PREFIX}app", f"{PREFIX}stack", f"{PREFIX}detail"
SEQUENCE, DEPLOYMENT = f"{PREFIX}sequence", f"{PREFIX}deployment-id"
MAX_VALUE = 256


def to_tags(metadata: ServerGroupMetadata, user_tags: Mapping[str, str]) -> dict[str, str]:
    """The spec's own tags plus the metadata tags; the ``cloudrig:`` prefix is reserved."""
    reserved = sorted(k for k in user_tags if k.startswith(PREFIX))
    if reserved:
        raise InvalidSpec(f"tags {', '.join(reserved)}: the prefix {PREFIX!r} is reserved")
    m = metadata.moniker
    tags = {APP: m.app, STACK: m.stack, DETAIL: m.detail}
    if m.sequence is not None:
        tags[SEQUENCE] = str(m.sequence)
    if metadata.deployment_id is not None:
        tags[DEPLOYMENT] = metadata.deployment_id
    too_long = [k for k, v in tags.items() if len(v) > MAX_VALUE]
    if too_long:
        raise InvalidSpec(
            f"{', '.join(too_long)}: the example cloud stores at most {MAX_VALUE} characters"
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


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags the spec asked for, without cloudrig's own."""
    return {k: v for k, v in tags.items() if not k.startswith(PREFIX)}
