"""Lambda and ELBv2 tags in their services' alphabet (``cloudrig_aws.tag_values``), checked
against the ``TagValue`` patterns of botocore's models (``support.aws.ecs_tag_alphabet``): a
red/black of a function behind two load balancers, with two security groups, a moniker of
``,&!#'`` and emoji and a JSON verification payload, sends nothing AWS would refuse and reads back
exactly; a spec tag Lambda would refuse is named before anything is created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudrig import InvalidSpec, Moniker
from cloudrig.strategies import RedBlack
from support.aws.ecs_tag_alphabet import (
    LOAD_BALANCERS,
    SECURITY_GROUPS,
    assert_all_accepted,
    upsert_nasty_neighbours,
)

from .conftest import ACCOUNT, LAMBDA, REGION, V1, V2, LambdaEndpoint, spec

pytestmark = pytest.mark.moto

NASTY = "shop,&!#'😀"


@pytest.fixture
def rig(lambda_endpoint: LambdaEndpoint, lambda_env: None, tmp_path: Path) -> Any:
    return LAMBDA.connect(tmp_path, {"endpoint_url": lambda_endpoint.url})


def test_red_black_with_lists_payload_and_any_moniker_sends_only_accepted_tags(
    rig: Any, moto_aws: Any, lambda_role: str, code_zip: Any
) -> None:
    account = rig.account(ACCOUNT)
    lbs, sgs = LOAD_BALANCERS, SECURITY_GROUPS
    upsert_nasty_neighbours(account, ACCOUNT, REGION)
    subnet = moto_aws.client("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    moniker = Moniker(app=NASTY, stack="prod!")
    payload = {"probe": "a, b & c!", "n": [1, 2]}
    for body in (V1, V2):
        made = spec(code_zip(body), lambda_role, subnets=[subnet], verify_payload=payload)
        made = made.model_copy(
            update={"moniker": moniker, "load_balancers": lbs, "security_groups": sgs}
        )
        rig.deploy(made, RedBlack()).raise_for_status()
    assert_all_accepted(moto_aws.requests(), {"lambda", "elbv2"})
    groups = rig.cluster(ACCOUNT, moniker.cluster, REGION).server_groups
    assert len(groups) == 2
    for group in groups:
        assert (group.moniker.app, group.moniker.stack) == (NASTY, "prod!")
        assert group.load_balancers == lbs
        assert group.security_groups == sgs
    assert sorted(g.enabled for g in groups) == [False, True]
    assert {lb.name for lb in account.load_balancers.list(REGION)} == set(lbs)
    invoked = [r for r in moto_aws.requests() if r.path.endswith("/invocations")]
    assert invoked
    assert {r.body for r in invoked} == {b'{"probe": "a, b & c!", "n": [1, 2]}'}


def test_a_spec_tag_lambda_would_refuse_is_named_before_anything_is_created(
    rig: Any, moto_aws: Any, lambda_role: str, code_zip: Any
) -> None:
    made = spec(code_zip(V1), lambda_role).model_copy(update={"tags": {"team": "shop & co"}})
    moto_aws.clear_requests()
    with pytest.raises(InvalidSpec, match="team"):
        rig.account(ACCOUNT).create_server_group(made)
    reads = ("GetResources",)  # the listing that picks the sequence: a read sent as a POST
    writes = [r.label for r in moto_aws.requests() if r.method != "GET" and r.label not in reads]
    assert writes == []
