"""Validation of request bodies: every malformed field is a 400 with a message naming the field.

Hand-written rather than pydantic because a cloud API's validation is part of what the example
shows: its rules (name pattern, tag limits, capacity ceiling) are the limits the provider's README
documents and its naming policy must satisfy.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from example_cloud.errors import invalid

NAME = re.compile(r"^[a-z][a-z0-9-]{0,47}$")
TAG_KEY = re.compile(r"^[a-z0-9:._-]{1,64}$")
MAX_TAG_VALUE = 256
MAX_TAGS = 50
INSTANCE_TYPES = ("small", "medium", "large")
MAX_CAPACITY = 50
PROTOCOLS = ("tcp", "udp", "icmp", "all")
LB_PROTOCOLS = ("http", "https", "tcp")
ALGORITHMS = ("round-robin", "least-connections")
MAX_WEIGHTED_GROUPS = 4


def body_of(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid("the request body must be a JSON object")
    return raw


def unknown_fields(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise invalid(f"unknown field(s): {', '.join(extra)}")


def name(body: dict[str, Any], field: str = "name") -> str:
    value = body.get(field)
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise invalid(
            f"{field} must match {NAME.pattern} (lowercase letters, digits and '-', "
            "starting with a letter, at most 48 characters)"
        )
    return value


def text(body: dict[str, Any], field: str, *, default: str | None = None, limit: int = 1024) -> str:
    value = body.get(field, default)
    if not isinstance(value, str) or len(value) > limit:
        raise invalid(f"{field} must be a string of at most {limit} characters")
    return value


def choice(body: dict[str, Any], field: str, options: tuple[str, ...], default: str) -> str:
    value = body.get(field, default)
    if value not in options:
        raise invalid(f"{field} must be one of {', '.join(options)}")
    return str(value)


def integer(
    body: dict[str, Any],
    field: str,
    low: int,
    high: int,
    default: int | None = None,
    *,
    label: str | None = None,
) -> int:
    value = body.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{label or field} must be an integer from {low} to {high}")
    return value


def optional_port(body: dict[str, Any], field: str) -> int | None:
    return None if body.get(field) is None else integer(body, field, 1, 65535)


def boolean(body: dict[str, Any], field: str, default: bool) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise invalid(f"{field} must be true or false")
    return value


def names(body: dict[str, Any], field: str) -> list[str]:
    value = body.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{field} must be a list of names")
    return list(dict.fromkeys(value))


def string_map(body: dict[str, Any], field: str) -> dict[str, str]:
    value = body.get(field, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid(f"{field} must be an object of strings")
    return dict(value)


def tags(body: dict[str, Any]) -> dict[str, str]:
    value = string_map(body, "tags")
    if len(value) > MAX_TAGS:
        raise invalid(f"at most {MAX_TAGS} tags are allowed")
    for key, text_ in value.items():
        if not TAG_KEY.fullmatch(key):
            raise invalid(f"tag key {key!r} must match {TAG_KEY.pattern}")
        if len(text_) > MAX_TAG_VALUE:
            raise invalid(f"tag {key!r}: values are at most {MAX_TAG_VALUE} characters")
    return value


def capacity(raw: Any) -> dict[str, int]:
    body = body_of(raw)
    unknown_fields(body, {"min", "desired", "max"})
    values = {
        k: integer(body, k, 0, MAX_CAPACITY, label=f"capacity.{k}")
        for k in ("min", "desired", "max")
    }
    if not values["min"] <= values["desired"] <= values["max"]:
        raise invalid("capacity must satisfy min <= desired <= max")
    return values


def health_check(raw: Any) -> dict[str, Any]:
    body = body_of(raw if raw is not None else {})
    unknown_fields(
        body,
        {
            "protocol",
            "path",
            "port",
            "interval_seconds",
            "healthy_threshold",
            "unhealthy_threshold",
        },
    )
    path = text(body, "path", default="/health", limit=200)
    if not path.startswith("/"):
        raise invalid("health_check.path must start with '/'")
    return {
        "protocol": choice(body, "protocol", LB_PROTOCOLS, "http"),
        "path": path,
        "port": optional_port(body, "port"),
        "interval_seconds": integer(body, "interval_seconds", 1, 300, default=10),
        "healthy_threshold": integer(body, "healthy_threshold", 1, 10, default=2),
        "unhealthy_threshold": integer(body, "unhealthy_threshold", 1, 10, default=2),
    }


def ingress_rule(raw: Any, index: int) -> dict[str, Any]:
    body = body_of(raw)
    where = f"ingress[{index}]"
    unknown_fields(body, {"protocol", "from_port", "to_port", "cidrs", "source_groups"})
    rule: dict[str, Any] = {
        "protocol": choice(body, "protocol", PROTOCOLS, "tcp"),
        "from_port": integer(body, "from_port", 0, 65535),
        "to_port": integer(body, "to_port", 0, 65535),
        "cidrs": names(body, "cidrs"),
        "source_groups": names(body, "source_groups"),
    }
    if rule["from_port"] > rule["to_port"]:
        raise invalid(f"{where}: from_port is above to_port")
    if not rule["cidrs"] and not rule["source_groups"]:
        raise invalid(f"{where}: a rule needs at least one CIDR or source group")
    for cidr in rule["cidrs"]:
        try:
            ipaddress.ip_network(cidr)
        except ValueError:
            raise invalid(f"{where}: {cidr!r} is not a CIDR block") from None
    return rule


def weights(raw: Any) -> dict[str, int]:
    body = body_of(raw)
    unknown_fields(body, {"weights"})
    value = body.get("weights")
    if not isinstance(value, dict) or not value:
        raise invalid("weights must be a non-empty object of server group name to weight")
    if len(value) > MAX_WEIGHTED_GROUPS:
        raise invalid(f"at most {MAX_WEIGHTED_GROUPS} server groups can be weighted at once")
    result = {k: integer(value, k, 0, 100, label=f"weight of {k!r}") for k in value}
    if sum(result.values()) == 0:
        raise invalid("at least one weight must be above 0")
    return result
