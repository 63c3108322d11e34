"""The tags ECS, ELBv2 and Lambda requests carry, checked against botocore's models.

AWS refuses tag keys and values outside the ``TagKey`` / ``TagValue`` shapes of these services
(``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``, 128 and 256 characters: ``botocore/data/{ecs,elbv2,lambda}/
*/service-2.json``); moto accepts anything. ``refusals(requests)`` reads every tag out of the
requests moto served (``MotoServer.requests()``) and returns what AWS would refuse, one line per
tag. The patterns are the models' own, matched with the ``regex`` package (Java's ``\\p{…}``
classes), never a copy of the provider's alphabet. See tests/README.md, "ECS and Lambda tags".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
import regex

from support.proxy.rules import Request

_ECS_TARGET = "AmazonEC2ContainerServiceV20141113."


@cache
def _rules(service: str) -> tuple[tuple[regex.Pattern[str], int], tuple[regex.Pattern[str], int]]:
    model = botocore.session.get_session().get_service_model(service)
    out = []
    for shape in ("TagKey", "TagValue"):
        meta = model.shape_for(shape).metadata
        out.append((regex.compile(meta["pattern"]), int(meta["max"])))
    return out[0], out[1]


def refused_value(service: str, value: str, *, length: bool = True) -> bool:
    """Whether ``service`` refuses ``value`` as a tag value (its length too unless ``length``
    is False: the pattern alone)."""
    pattern, most = _rules(service)[1]
    return (length and len(value) > most) or not pattern.fullmatch(value)


def _bad(service: str, key: str, value: str) -> str | None:
    key_pattern, key_max = _rules(service)[0]
    if not key or len(key) > key_max or not key_pattern.fullmatch(key):
        return f"{service} tag key {key!r}"
    if refused_value(service, value):
        return f"{service} tag {key!r} = {value!r}"
    return None


def tags_of(request: Request) -> Iterator[tuple[str, str, str]]:
    """(service, key, value) of every tag ``request`` carries."""
    if request.headers.get("x-amz-target", "").startswith(_ECS_TARGET):
        body = json.loads(request.body or b"{}")
        for tag in body.get("tags") or []:
            yield "ecs", tag["key"], tag.get("value", "")
        return
    if request.path.startswith(("/2015-03-31/functions", "/2017-03-31/tags/")):
        if request.method in ("POST", "PUT") and request.body:
            tags = json.loads(request.body).get("Tags") or {}
            for key, value in tags.items():
                yield "lambda", key, value
        return
    form = request.body.decode() if request.body else request.query
    fields = dict(parse_qsl(form, keep_blank_values=True))
    if fields.get("Version") != "2015-12-01":  # ELBv2's query API
        return
    for name, key in fields.items():
        if name.startswith("Tags.member.") and name.endswith(".Key"):
            yield "elbv2", unquote(key), fields.get(name[: -len("Key")] + "Value", "")


def tags_sent(requests: Iterable[Request]) -> list[tuple[str, str, str]]:
    return [tag for request in requests for tag in tags_of(request)]


def refusals(requests: Iterable[Request]) -> list[str]:
    """What AWS would refuse among the tags of ``requests`` (empty: all accepted)."""
    return [bad for s, k, v in tags_sent(requests) if (bad := _bad(s, k, v)) is not None]


# -- what both providers' tag tests deploy behind ------------------------------------------------
LOAD_BALANCERS = ("web", "api & co #1")
SECURITY_GROUPS = ("front, door", "back's 😀")


def upsert_nasty_neighbours(account: Any, name: str, region: str) -> None:
    """Two load balancers and two security groups whose names ECS, ELBv2 and Lambda tags cannot
    hold as they are (``LOAD_BALANCERS``, ``SECURITY_GROUPS``), through the account ``name``."""
    from cloudrig import LoadBalancerSpec, SecurityGroupSpec

    for lb in LOAD_BALANCERS:
        account.upsert_load_balancer(LoadBalancerSpec(name=lb, account=name, region=region))
    for sg in SECURITY_GROUPS:
        account.upsert_security_group(SecurityGroupSpec(name=sg, account=name, region=region))


def assert_all_accepted(requests: list[Request], services: set[str]) -> None:
    """The requests carried tags of exactly ``services``, and AWS would refuse none of them."""
    assert {s for s, _, _ in tags_sent(requests)} == services, "the check saw the tags"
    assert refusals(requests) == []
