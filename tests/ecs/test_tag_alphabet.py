"""Tag values in the alphabet of ECS, ELBv2 and Lambda (``cloudrig_aws.tag_values``), checked
against the ``TagValue`` patterns of botocore's models (``support.aws.ecs_tag_alphabet``): any
text and any list round-trip exactly; a red/black of a group behind two load balancers with two
security groups and a moniker of ``,&!#'`` and emoji sends nothing AWS would refuse and reads
back exactly; values written before the encoding still read as they were."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudrig import InvalidSpec, Moniker
from cloudrig.strategies import RedBlack
from cloudrig_aws import tag_values
from support.aws.ecs_tag_alphabet import (
    LOAD_BALANCERS,
    SECURITY_GROUPS,
    assert_all_accepted,
    refused_value,
    upsert_nasty_neighbours,
)

from .conftest import ACCOUNT, ECS, IMAGE_V1, IMAGE_V2, REGION

SERVICES = ("ecs", "elbv2", "lambda")
NASTY = "shop,&!#'😀"


def _accepted(value: str) -> bool:
    """In every service's pattern; its length is the provider's to check (``too_long``)."""
    fits = not tag_values.too_long({"k": value})
    return all(not refused_value(s, value, length=fits) for s in SERVICES)


def _every_category() -> list[str]:
    """One string per Unicode general category: the first few characters of it found."""
    found: dict[str, list[str]] = {}
    for point in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(point))
        chars = found.setdefault(category, [])
        if len(chars) < 8:
            chars.append(chr(point))
    return ["".join(chars) for chars in found.values()]


@pytest.mark.parametrize("text", _every_category())
def test_every_unicode_category_encodes_into_the_alphabet_and_back(text: str) -> None:
    encoded = tag_values.encode(text)
    assert _accepted(encoded)
    assert tag_values.decode(encoded) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_round_trips_through_the_alphabet(text: str) -> None:
    encoded = tag_values.encode(text)
    assert _accepted(encoded)
    assert tag_values.decode(encoded) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), max_size=8))
def test_any_list_round_trips_through_the_alphabet(items: list[str]) -> None:
    encoded = tag_values.encode_list(items)
    assert _accepted(encoded)
    assert tag_values.decode_list(encoded) == tuple(items)


@pytest.mark.parametrize(
    "old", ["shop", "web", "public.ecr.aws/shop/web:1", "repo@sha256:" + "a" * 64, "a=b", "x y"]
)
def test_values_written_before_the_encoding_read_as_they_were(old: str) -> None:
    assert tag_values.decode(old) == old
    assert tag_values.decode_list(old) == (old,)


@pytest.fixture
def rig(moto_aws: Any, ecs_env: None, ecs_cluster: str, tmp_path: Path) -> Any:
    return ECS.connect(tmp_path, {"endpoint_url": moto_aws.url})


def test_red_black_behind_two_lbs_with_two_sgs_and_any_moniker_sends_only_accepted_tags(
    rig: Any, moto_aws: Any
) -> None:
    account = rig.account(ACCOUNT)
    lbs, sgs = LOAD_BALANCERS, SECURITY_GROUPS
    upsert_nasty_neighbours(account, ACCOUNT, REGION)
    moniker = Moniker(app=NASTY, stack="prod!", detail="a=1f600_b")
    for image in (IMAGE_V1, IMAGE_V2):
        spec = ECS.spec(REGION, image).model_copy(
            update={"moniker": moniker, "load_balancers": lbs, "security_groups": sgs}
        )
        rig.deploy(spec, RedBlack()).raise_for_status()
    assert_all_accepted(moto_aws.requests(), {"ecs", "elbv2"})
    groups = rig.cluster(ACCOUNT, moniker.cluster, REGION).server_groups
    assert len(groups) == 2
    for group in groups:
        assert (group.moniker.app, group.moniker.stack, group.moniker.detail) == (
            NASTY,
            "prod!",
            "a=1f600_b",
        )
        assert group.load_balancers == lbs
        assert group.security_groups == sgs
    assert sorted(g.enabled for g in groups) == [False, True]
    assert {lb.name for lb in account.load_balancers.list(REGION)} >= set(lbs)


def test_a_spec_tag_ecs_would_refuse_is_named_before_anything_is_created(
    rig: Any, moto_aws: Any
) -> None:
    ECS.upsert_web(rig, REGION)
    moto_aws.clear_requests()
    spec = ECS.spec(REGION, IMAGE_V1, tags={"team": "shop & co"})
    with pytest.raises(InvalidSpec, match="team"):
        rig.account(ACCOUNT).create_server_group(spec)
    written = [r.label for r in moto_aws.requests() if not r.label.startswith(("Describe", "List"))]
    assert written == []
