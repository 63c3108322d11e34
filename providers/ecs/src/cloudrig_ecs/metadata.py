"""The facts a service carries about itself, in its tags (written in ``CreateService``).

ECS tags take 128-character keys and 256-character values of letters, numbers, spaces and
``_.:/=+-@`` only: cloudrig's values are written through ``cloudrig_aws.tag_values`` (any other
character escaped, lists joined by ``+``), the spec's own tags must fit as they are. A value too
long once encoded, or a spec tag ECS would refuse, is ``InvalidSpec`` before anything is created
(``check``). Capacity ``min``/``max`` travel here too (ECS knows only the desired count); resize
rewrites them with ``TagResource``.

``as_list`` (to ECS) encodes and ``as_dict`` (from ECS) decodes the values of cloudrig's keys, so
the rest of the provider sees the text itself; the two list tags are ``list_value`` / ``names``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cloudrig import Capacity, InvalidSpec, Moniker
from cloudrig.provider import ServerGroupMetadata
from cloudrig_aws import tag_values

P = "cloudrig:"
APP, STACK, DETAIL, SEQUENCE = f"{P}app", f"{P}stack", f"{P}detail", f"{P}sequence"
DEPLOYMENT, NAME, MIN, MAX = f"{P}deployment-id", f"{P}name", f"{P}min", f"{P}max"
LBS, SGS, ENABLED = f"{P}load-balancers", f"{P}security-groups", f"{P}enabled"
_LISTS = frozenset({LBS, SGS})  # encoded by ``list_value``, item by item


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
    return tags


def _ours(key: str) -> bool:
    return key.startswith(P) and key not in _LISTS


def list_value(names: Iterable[str]) -> str:
    """The value of a list tag (``LBS``, ``SGS``), already in ECS's alphabet."""
    return tag_values.encode_list(names)


def names(tags: Mapping[str, str], key: str) -> tuple[str, ...]:
    """The items of a list tag of ``as_dict(...)``."""
    return tag_values.decode_list(tags.get(key, ""))


def fit(text: str) -> str:
    """The longest start of ``text`` whose encoding fits a tag value (for informative values:
    the artifact)."""
    while len(tag_values.encode(text)) > tag_values.MAX_VALUE:
        text = text[: -max(1, len(text) // 8)]
    return text


def check(name: str, tags: Mapping[str, str]) -> None:
    """Refuse, before anything is created, tags ECS would refuse: a spec tag outside ECS's
    alphabet, a cloudrig value too long once encoded."""
    user = {k: v for k, v in tags.items() if not k.startswith(P)}
    bad = tag_values.refused(user)
    if bad:
        raise InvalidSpec(
            f"tags {', '.join(bad)} of {name}: ECS tag keys take 128 and values 256 characters "
            "of letters, numbers, spaces and _.:/=+-@",
            resource=name,
        )
    long = tag_values.too_long({e["key"]: e["value"] for e in as_list(tags)})
    if long:
        raise InvalidSpec(
            f"{', '.join(long)} of {name}: longer than ECS's 256 characters once encoded",
            resource=name,
        )


def as_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": tag_values.encode(v) if _ours(k) else v} for k, v in tags.items()]


def as_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {
        t["key"]: tag_values.decode(t.get("value", "")) if _ours(t["key"]) else t.get("value", "")
        for t in tags or []
    }


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
