"""Lambda specifics: identical deployments said so, the alias never left empty nor asked to
route to three versions, descriptions that carry the metadata, code sources, names, and a
plugin that loads without boto3."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import (
    Capacity,
    Conflict,
    InvalidSpec,
    Moniker,
    ProviderFailure,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_lambda import LambdaFunctionSettings
from cloudrig_lambda.code import code_of
from cloudrig_lambda.metadata import read_version, version_description
from cloudrig_lambda.naming import NAMING, function_name

from .conftest import REGION

V1 = "def handler(event, context):\n    return 1\n"
V2 = "def handler(event, context):\n    return 2\n"
V3 = "def handler(event, context):\n    return 3\n"


def request(artifact: str, role: str, sequence: int, **spec: Any) -> CreateServerGroup:
    moniker = Moniker(app="shop", stack="prod", sequence=sequence)
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=ServerGroupSpec(
            moniker=moniker,
            account="lambda-test",
            region=REGION,
            artifact=artifact,
            capacity=Capacity.fixed(1),
            **spec,
        ),
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=f"dep-{sequence}"),
        settings=LambdaFunctionSettings(role=role),
    )


@pytest.fixture
def provider(make_lambda_provider: Callable[..., Any]) -> Any:
    return make_lambda_provider()


pytestmark = pytest.mark.moto


def test_a_retried_create_returns_its_own_version(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    first = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    provider.functions.forget(REGION, first.name)  # a new process: nothing remembered
    again = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    assert (again.name, again.deployment_id) == (first.name, "dep-1")
    versions = moto_aws.client("lambda").list_versions_by_function(FunctionName="shop-prod")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1"]


def test_identical_code_and_configuration_is_said_so(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str]
) -> None:
    """Lambda publishes nothing when neither code nor configuration changed: if it answers with
    another group's version, the create says so instead of pretending."""
    first = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    number = provider.functions.require(REGION, first.name).number
    with pytest.raises(Conflict, match=f"identical to version {number}"):
        provider.functions.publish(
            REGION,
            "shop-prod",
            "shop-prod-v002",
            version_description(
                "shop-prod-v002",
                ServerGroupMetadata(moniker=Moniker(app="shop", stack="prod", sequence=2)),
                Capacity.fixed(1),
            ),
            tags={},
        )


def test_identical_code_to_the_serving_version_is_logged(
    make_lambda_provider: Callable[..., Any], lambda_role: str, code_zip: Callable[[str], str]
) -> None:
    import logging
    import uuid

    # A logger of its own (with its own handler), whatever the logging configuration.
    records: list[logging.LogRecord] = []
    logger = logging.getLogger(f"cloudrig.test.{uuid.uuid4().hex}")
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    provider = make_lambda_provider(logger=logger)
    first = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    provider.server_groups.enable(REGION, first.name)
    provider.server_groups.create(request(code_zip(V1), lambda_role, 2))
    messages = [r.getMessage() for r in records]
    assert any("code identical to version 1 (shop-prod-v001)" in m for m in messages), messages


def test_alias_routes_to_two_versions_at_most_and_is_never_empty(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str]
) -> None:
    names = [
        provider.server_groups.create(request(code_zip(v), lambda_role, n)).name
        for n, v in ((1, V1), (2, V2), (3, V3))
    ]
    provider.server_groups.enable(REGION, names[0])
    with pytest.raises(Conflict, match="only version"):
        provider.server_groups.disable(REGION, names[0])
    provider.server_groups.enable(REGION, names[1])  # beside one other: 50/50
    assert dict(provider.traffic.get_weights(REGION, names).weights) == {
        names[0]: 50,
        names[1]: 50,
        names[2]: 0,
    }
    with pytest.raises(Conflict, match="two versions"):
        provider.server_groups.enable(REGION, names[2])
    with pytest.raises(InvalidSpec, match="two versions at most"):
        provider.traffic.set_weights(
            REGION, TrafficWeights(weights={names[0]: 40, names[1]: 30, names[2]: 30})
        )
    provider.server_groups.disable(REGION, names[0])  # its share goes to the other
    assert dict(provider.traffic.get_weights(REGION, names[:2]).weights) == {
        names[0]: 0,
        names[1]: 100,
    }
    with pytest.raises(Conflict, match="receives traffic"):
        provider.server_groups.destroy(REGION, names[1])


def test_destroying_the_last_version_deletes_the_function(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    group = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    provider.server_groups.destroy(REGION, group.name)
    functions = moto_aws.client("lambda").list_functions()["Functions"]
    assert functions == []


def test_description_round_trip_and_limit() -> None:
    metadata = ServerGroupMetadata(
        moniker=Moniker(app="支付", stack="prød", detail="a b", sequence=7), deployment_id="d-1"
    )
    text = version_description("x-v007", metadata, Capacity(min=0, desired=1, max=1))
    facts = read_version(text)
    assert facts is not None
    assert (facts.name, facts.metadata, facts.capacity) == (
        "x-v007",
        metadata,
        Capacity(min=0, desired=1, max=1),
    )
    assert facts.provisioned is False, "no mode recorded: on demand"
    provisioned = read_version(version_description("x-v007", metadata, Capacity.fixed(2), True))
    assert provisioned is not None
    assert (provisioned.capacity, provisioned.provisioned) == (Capacity.fixed(2), True)
    assert read_version("a version somebody else published") is None
    with pytest.raises(InvalidSpec, match="256"):
        version_description(
            "x-v001",
            ServerGroupMetadata(moniker=Moniker(app="a" * 200, stack="b" * 60, sequence=1)),
            Capacity.fixed(1),
        )


def test_code_sources(tmp_path: Any) -> None:
    assert code_of("s3://bucket/path/code.zip") == {"S3Bucket": "bucket", "S3Key": "path/code.zip"}
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1.2"
    assert code_of(image) == {"ImageUri": image}
    archive = tmp_path / "c.zip"
    archive.write_bytes(b"PK")
    assert code_of(str(archive)) == {"ZipFile": b"PK"}
    for wrong in ("s3://bucket", str(tmp_path / "missing.zip"), "ami-123"):
        with pytest.raises(InvalidSpec):
            code_of(wrong)


def test_names_fit_lambda_and_map_to_their_function() -> None:
    moniker = Moniker(app="chéckout service", stack="prød" * 20, sequence=3)
    name = NAMING.server_group_name(moniker)
    assert len(name) <= 64
    function = function_name(name)
    assert len(function) <= 64
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in function)
    with pytest.raises(InvalidSpec):
        function_name("no-version-suffix")


def test_plugin_and_package_import_no_boto3() -> None:
    code = (
        "import sys, cloudrig_lambda, cloudrig_lambda.plugin\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'SDK loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_security_groups_are_the_functions_vpc_config(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    from cloudrig import IngressRule, SecurityGroupSpec
    from cloudrig_lambda import LambdaSecurityGroupSettings

    sg = provider.security_groups.upsert(
        SecurityGroupSpec(
            name="shop-fn",
            account="lambda-test",
            region=REGION,
            ingress=(IngressRule(from_port=443, to_port=443, cidrs=("10.0.0.0/8",)),),
        ),
        LambdaSecurityGroupSettings(),
    )
    ec2 = moto_aws.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    req = request(code_zip(V1), lambda_role, 1, security_groups=("shop-fn",))
    req = req.model_copy(
        update={"settings": LambdaFunctionSettings(role=lambda_role, subnets=(subnet,))}
    )
    group = provider.server_groups.create(req)
    assert group.security_groups == ("shop-fn",)
    config = moto_aws.client("lambda").get_function_configuration(FunctionName="shop-prod")
    assert config["VpcConfig"]["SecurityGroupIds"] == [sg.id]
    assert config["VpcConfig"]["SubnetIds"] == [subnet]
    without_subnets = request(code_zip(V2), lambda_role, 2, security_groups=("shop-fn",))
    with pytest.raises(InvalidSpec, match="subnets"):
        provider.server_groups.create(without_subnets)


def test_code_from_an_s3_object(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    from pathlib import Path

    s3 = moto_aws.client("s3")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="shop/1.zip", Body=Path(code_zip(V1)).read_bytes())
    group = provider.server_groups.create(request("s3://artifacts/shop/1.zip", lambda_role, 1))
    with_zip = moto_aws.client("lambda").get_function(FunctionName="shop-prod", Qualifier="1")
    assert group.artifact == f"sha256:{with_zip['Configuration']['CodeSha256']}"
    assert with_zip["Configuration"]["Description"].startswith('{"cloudrig":1')


def test_accounts_on_one_aws_account_share_its_budget(
    make_lambda_provider: Callable[..., Any],
) -> None:
    """Two configured accounts on one AWS account (and, the same way, an EC2 or ECS account
    there) get one bucket per service, region and call class, not one each."""
    from cloudrig.ratelimit import Limiter

    from .conftest import fast_limits

    limiter = Limiter(fast_limits())
    first = make_lambda_provider(limiter=limiter, account="lambda-a")
    second = make_lambda_provider(limiter=limiter, account="lambda-b")
    first.check()
    second.check()
    buckets = {name: s.admitted for name, s in limiter.stats().items() if s.admitted}
    assert len(buckets) == 1, buckets
    ((name, admitted),) = buckets.items()
    assert "123456789012" in name
    assert admitted == 2


def test_an_apps_functions_are_found_by_their_app_tag(
    make_lambda_provider: Callable[..., Any],
    lambda_role: str,
    code_zip: Callable[[str], str],
    moto_aws: Any,
) -> None:
    """The function carries its app as a tag (in Lambda's alphabet), which tag:GetResources
    filters on; a function of another app in the region is not listed."""
    provider = make_lambda_provider()
    group = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    other = request(code_zip(V2), lambda_role, 1)
    moniker = Moniker(app="cart", stack="prod", sequence=1)
    provider.server_groups.create(
        other.model_copy(
            update={
                "name": NAMING.server_group_name(moniker),
                "spec": other.spec.model_copy(update={"moniker": moniker}),
                "metadata": ServerGroupMetadata(moniker=moniker, deployment_id="dep-cart"),
            }
        )
    )
    client = moto_aws.client("lambda")
    arn = client.get_function(FunctionName="shop-prod")["Configuration"]["FunctionArn"]
    assert client.list_tags(Resource=arn)["Tags"]["cloudrig:app"] == "shop"
    fresh = make_lambda_provider()  # nothing cached
    assert [g.name for g in fresh.server_groups.list("shop", REGION)] == [group.name]
    assert [g.moniker.app for g in fresh.server_groups.list("cart", REGION)] == ["cart"]


def test_a_function_without_the_app_tag_is_found_by_a_scan_and_tagged_when_deployed_again(
    make_lambda_provider: Callable[..., Any],
    lambda_role: str,
    code_zip: Callable[[str], str],
    moto_aws: Any,
) -> None:
    """Functions created before cloudrig tagged them: the tag finds none of the app, so the
    region is scanned (their description names the app); their next deployment tags them."""
    first = make_lambda_provider().server_groups.create(request(code_zip(V1), lambda_role, 1))
    client = moto_aws.client("lambda")
    arn = client.get_function(FunctionName="shop-prod")["Configuration"]["FunctionArn"]
    client.untag_resource(Resource=arn, TagKeys=["cloudrig:app"])
    provider = make_lambda_provider()
    assert [g.name for g in provider.server_groups.list("shop", REGION)] == [first.name]
    provider.server_groups.create(request(code_zip(V2), lambda_role, 2))
    assert client.list_tags(Resource=arn)["Tags"]["cloudrig:app"] == "shop"
    tagging = moto_aws.client("resourcegroupstaggingapi")
    found = tagging.get_resources(
        ResourceTypeFilters=["lambda:function"],
        TagFilters=[{"Key": "cloudrig:app", "Values": ["shop"]}],
    )["ResourceTagMappingList"]
    assert [r["ResourceARN"] for r in found] == [arn]


def test_an_untagged_function_beside_tagged_ones_is_tagged_when_its_name_conflicts(
    make_lambda_provider: Callable[..., Any],
    lambda_role: str,
    code_zip: Callable[[str], str],
    moto_aws: Any,
) -> None:
    """An app with a function tagged and one not yet (created before the tag): the listing
    finds the tagged one only, so a deployment of the other reserves a taken name. Its create
    is refused (nothing written) and tags the function: the next listing finds it."""
    provider = make_lambda_provider()
    prod = provider.server_groups.create(request(code_zip(V1), lambda_role, 1))
    client = moto_aws.client("lambda")
    arn = client.get_function(FunctionName="shop-prod")["Configuration"]["FunctionArn"]
    client.untag_resource(Resource=arn, TagKeys=["cloudrig:app"])
    moniker = Moniker(app="shop", stack="test", sequence=1)
    other = request(code_zip(V2), lambda_role, 1)
    provider.server_groups.create(
        other.model_copy(
            update={
                "name": NAMING.server_group_name(moniker),
                "spec": other.spec.model_copy(update={"moniker": moniker}),
                "metadata": ServerGroupMetadata(moniker=moniker, deployment_id="dep-test"),
            }
        )
    )
    fresh = make_lambda_provider()
    assert [g.name for g in fresh.server_groups.list("shop", REGION)] == ["shop-test-v001"]
    taken = request(code_zip(V3), lambda_role, 1)
    taken = taken.model_copy(
        update={"metadata": ServerGroupMetadata(moniker=taken.metadata.moniker, deployment_id="x")}
    )
    with pytest.raises(Conflict, match="deploy again"):
        fresh.server_groups.create(taken)
    versions = client.list_versions_by_function(FunctionName="shop-prod")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]  # nothing published
    assert client.list_tags(Resource=arn)["Tags"]["cloudrig:app"] == "shop"
    names = {g.name for g in make_lambda_provider().server_groups.list("shop", REGION)}
    assert names == {prod.name, "shop-test-v001"}


def test_the_strict_target_checks_the_tagging_api_like_every_other(
    provider: Any, strict_aws: Any
) -> None:
    """tag:GetResources goes through the strict AWS target: a request outside its model
    (``TagValueList``: at most 20 values) is refused before it reaches moto."""
    tagging = provider.functions.tagging(REGION)
    with pytest.raises(ProviderFailure, match="max 20 items"):
        tagging.call(
            "get_resources",
            ResourceTypeFilters=["lambda:function"],
            TagFilters=[{"Key": "cloudrig:app", "Values": [f"app{i}" for i in range(21)]}],
        )
    refused = strict_aws.take()
    assert refused, "refused by the strict target, not by moto"
    assert {v.operation for v in refused} == {"GetResources"}, refused
