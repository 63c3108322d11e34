"""The Python side of declared resources: ``rig.deploy`` of a spec file upserts its load balancers
and security groups and deploys the server group into them (checked from moto's state);
``rig.apply`` takes model specs; bad declarations are one ``ConfigError`` naming each field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import cloudrig
from cloudrig import (
    ConfigError,
    IngressRule,
    LoadBalancerSpec,
    ResourceAction,
    SecurityGroupSpec,
)
from cloudrig.engine._spec import load_spec_file
from cloudrig.strategies import BUILTIN

KEY_ENV, SECRET_ENV = "CLOUDRIG_TEST_APPLY_KEY", "CLOUDRIG_TEST_APPLY_SECRET"
FAST = {"rate": 500, "burst": 50}
SPEC: dict[str, Any] = {
    "account": "aws-prod",
    "region": "us-east-1",
    "cluster": {"app": "checkout", "stack": "prod"},
    "artifact": "ami-0abc1234",
    "capacity": {"min": 2, "desired": 2, "max": 3},
    "load_balancers": [{"name": "checkout-prod", "port": 80}],
    "security_groups": [
        {"name": "checkout", "ingress": [{"from_port": 80, "to_port": 80, "cidrs": ["10.0.0.0/8"]}]}
    ],
    "strategy": {"name": "highlander"},
}


@pytest.fixture
def rig(tmp_path: Path, moto_aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, "testing")
    account = {
        "provider": "aws",
        "regions": ["us-east-1"],
        "endpoint_url": moto_aws.url,
        "account_id": "123456789012",
        "access_key_id": f"env:{KEY_ENV}",
        "secret_access_key": f"env:{SECRET_ENV}",
    }
    with cloudrig.connect(
        {
            "accounts": {"aws-prod": account},
            "limits": {"read": FAST, "mutate": FAST},
            "deployments": {"path": str(tmp_path / "d.sqlite3")},
        }
    ) as rig:
        yield rig


@pytest.mark.moto
def test_deploying_a_spec_file_creates_its_resources_and_joins_them(
    rig: Any, moto_aws: Any
) -> None:
    deployment = rig.deploy(rig.load_spec(SPEC))
    assert deployment.status.value == "succeeded", deployment.error
    assert deployment.record.strategy == "highlander", "the file's strategy"

    ec2, elb = moto_aws.client("ec2"), moto_aws.client("elbv2")
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["checkout"]}])
    sg_id = sg["SecurityGroups"][0]["GroupId"]
    tg = elb.describe_target_groups(Names=["checkout-prod"])["TargetGroups"][0]
    asg = moto_aws.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in asg] == ["checkout-prod-v001"]
    assert asg[0]["TargetGroupARNs"] == [tg["TargetGroupArn"]]
    template = asg[0]["LaunchTemplate"]["LaunchTemplateId"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template)
    assert data["LaunchTemplateVersions"][0]["LaunchTemplateData"]["SecurityGroupIds"] == [sg_id]


@pytest.mark.moto
def test_apply_takes_model_specs_and_dry_run_only_reads(rig: Any, moto_aws: Any) -> None:
    lb = LoadBalancerSpec(name="web", account="aws-prod", region="us-east-1", port=8080)
    sg = SecurityGroupSpec(
        name="web",
        account="aws-prod",
        region="us-east-1",
        ingress=(IngressRule(from_port=8080, to_port=8080, source_groups=("web",)),),
    )
    planned = rig.apply(lb, sg, dry_run=True)
    assert [str(c) for c in planned] == ["security group web: create", "load balancer web: create"]
    assert not planned.applied
    assert moto_aws.client("elbv2").describe_load_balancers()["LoadBalancers"] == []

    applied = rig.apply(lb, sg)
    assert applied.applied
    assert [c.action for c in applied.changed] == [ResourceAction.CREATE] * 2
    group = moto_aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["web"]}]
    )["SecurityGroups"][0]
    pairs = group["IpPermissions"][0]["UserIdGroupPairs"]
    assert [p["GroupId"] for p in pairs] == [group["GroupId"]], "a group naming itself"
    assert [c.action for c in rig.apply(lb, sg)] == [ResourceAction.UNCHANGED] * 2


@pytest.mark.moto
def test_bad_settings_and_regions_are_one_error_before_any_change(rig: Any, moto_aws: Any) -> None:
    lb = LoadBalancerSpec(
        name="web", account="aws-prod", region="us-east-1", settings={"scheme": "sideways"}
    )
    sg = SecurityGroupSpec(name="web", account="aws-prod", region="eu-west-9")
    with pytest.raises(ConfigError) as caught:
        rig.apply(lb, sg)
    problems = dict(caught.value.problems)
    assert problems["security group 'web', field 'region'"].startswith("'eu-west-9' is not one of")
    assert "load balancer 'web', settings, field 'scheme'" in problems
    assert [r.label for r in moto_aws.requests() if not r.label.startswith("Describe")] == []


def test_spec_file_errors_name_each_field() -> None:
    data = {
        **SPEC,
        "load_balancers": [{"name": "web", "port": 0}, 7, "web2", "web2"],
        "security_groups": [{"name": "sg", "ingress": [{"from_port": 1, "to_port": 2}]}],
    }
    with pytest.raises(ConfigError) as caught:
        load_spec_file(data, BUILTIN)
    locations = [loc for loc, _ in caught.value.problems]
    assert locations == [
        "spec, field 'load_balancers.0.port'",
        "spec, field 'load_balancers.1'",
        "spec, field 'security_groups.0.ingress.0'",
    ]
    assert "must be a name, or a declaration" in caught.value.problems[1][1]

    duplicated = {**SPEC, "load_balancers": ["web", {"name": "web"}]}
    with pytest.raises(ConfigError, match=r"load_balancers.1': 'web' is listed twice"):
        load_spec_file(duplicated, BUILTIN)


def test_names_and_declarations_both_reach_the_server_group() -> None:
    loaded = load_spec_file({**SPEC, "load_balancers": ["legacy", {"name": "web"}]}, BUILTIN)
    assert loaded.server_group.load_balancers == ("legacy", "web")
    assert loaded.server_group.security_groups == ("checkout",)
    assert [lb.name for lb in loaded.load_balancers] == ["web"]
    assert loaded.load_balancers[0].account == "aws-prod"
    assert loaded.security_groups[0].ingress[0].cidrs == ("10.0.0.0/8",)


def test_the_documented_example_is_a_valid_spec_file() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec-files.md").read_text("utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded = load_spec_file(yaml.safe_load(example), BUILTIN)
    assert loaded.server_group.load_balancers == ("checkout-prod", "legacy-web")
    assert [g.name for g in loaded.security_groups] == ["checkout", "checkout-lb"]
    assert loaded.strategy.name == "red-black"
