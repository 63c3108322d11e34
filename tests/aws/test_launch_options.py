"""What a production account needs on day one, checked in moto's state on the strict target:
the launch template's options (IMDSv2, encrypted volumes, network interface, instance profile,
monitoring), mixed instances, explicit VPC placement, VPC-scoped security groups, the create
retried on eventual consistency, and what a new version inherits from the previous one."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import InvalidSpec, LoadBalancerSpec
from cloudrig_aws import AwsLoadBalancerSettings, AwsServerGroupSettings
from support.proxy import Respond
from support.proxy.rules import Request

from .conftest import REGION
from .scenario import create_request

pytestmark = pytest.mark.moto


def template_data(moto: Any, name: str) -> dict[str, Any]:
    versions = moto.client("ec2").describe_launch_template_versions(LaunchTemplateName=name)
    return dict(versions["LaunchTemplateVersions"][0]["LaunchTemplateData"])


def raw_group(moto: Any, name: str) -> dict[str, Any]:
    found = moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return dict(found["AutoScalingGroups"][0])


def test_imdsv2_required_by_default(make_aws_provider: Callable[..., Any], moto_aws: Any) -> None:
    request = create_request("imds", sequence=1)
    make_aws_provider().server_groups.create(request)
    options = template_data(moto_aws, request.name)["MetadataOptions"]
    assert options["HttpTokens"] == "required"
    assert options["HttpPutResponseHopLimit"] == 2


def test_volumes_interface_profile_and_monitoring(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    settings = AwsServerGroupSettings.model_validate(
        {
            "instance_type": "m5.large",
            "block_devices": [
                {"device_name": "/dev/xvda", "volume_size": 30, "kms_key_id": key},
                {"device_name": "/dev/xvdb", "volume_size": 100, "volume_type": "st1"},
            ],
            "associate_public_ip": False,
            "iam_instance_profile": "app-profile",
            "detailed_monitoring": True,
            "metadata_options": {"hop_limit": 1},
        }
    )
    request = create_request("opts", sequence=1, settings=settings, security_groups=("default",))
    make_aws_provider().server_groups.create(request)
    data = template_data(moto_aws, request.name)
    volumes = {d["DeviceName"]: d["Ebs"] for d in data["BlockDeviceMappings"]}
    assert volumes["/dev/xvda"]["Encrypted"] is True
    assert volumes["/dev/xvda"]["KmsKeyId"] == key
    assert volumes["/dev/xvdb"]["Encrypted"] is True, "encrypted unless told otherwise"
    assert volumes["/dev/xvdb"]["VolumeType"] == "st1"
    interface = data["NetworkInterfaces"][0]
    assert interface["AssociatePublicIpAddress"] is False
    assert len(interface["Groups"]) == 1, "security groups travel in the interface"
    assert "SecurityGroupIds" not in data
    assert data["IamInstanceProfile"] == {"Name": "app-profile"}
    assert data["Monitoring"] == {"Enabled": True}
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1


def test_kms_key_without_encryption_is_refused() -> None:
    with pytest.raises(ValidationError, match="kms_key_id needs encrypted"):
        AwsServerGroupSettings.model_validate(
            {"block_devices": [{"device_name": "/dev/xvda", "encrypted": False, "kms_key_id": "k"}]}
        )


@pytest.mark.parametrize("kind", ["u-6tb1.112xlarge", "mac2-m2.metal", "m7i-flex.large"])
def test_hyphenated_instance_types_are_accepted(kind: str) -> None:
    assert AwsServerGroupSettings(instance_type=kind).instance_type == kind


def test_starting_seconds_is_gone() -> None:
    """It was accepted and never read; health uses the group's own grace period."""
    with pytest.raises(ValidationError, match="starting_seconds"):
        AwsServerGroupSettings.model_validate({"starting_seconds": 60})


def test_mixed_instances_with_spot_and_capacity_rebalance(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    settings = AwsServerGroupSettings(
        instance_types=("m5.large", "m5a.large", "m6i.large"),
        on_demand_base_capacity=1,
        on_demand_percentage_above_base=25,
        capacity_rebalance=True,
    )
    request = create_request("mixed", sequence=1, settings=settings)
    make_aws_provider().server_groups.create(request)
    group = raw_group(moto_aws, request.name)
    policy = group["MixedInstancesPolicy"]
    overrides = [o["InstanceType"] for o in policy["LaunchTemplate"]["Overrides"]]
    assert overrides == ["m5.large", "m5a.large", "m6i.large"]
    distribution = policy["InstancesDistribution"]
    assert distribution["OnDemandBaseCapacity"] == 1
    assert distribution["OnDemandPercentageAboveBaseCapacity"] == 25
    assert group["CapacityRebalance"] is True
    assert "InstanceType" not in template_data(moto_aws, request.name)


def test_placement_is_explicit_subnets(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    request = create_request("vpc", sequence=1)
    make_aws_provider().server_groups.create(request)
    subnets = moto_aws.client("ec2").describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}]
    )["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    identifier = raw_group(moto_aws, request.name)["VPCZoneIdentifier"]
    assert sorted(identifier.split(",")) == sorted(by_zone[z] for z in request.spec.zones)


def own_vpc(moto: Any) -> tuple[str, list[str]]:
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    return vpc, subnets


def delete_default_vpc(moto: Any) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_no_subnets_and_no_default_vpc_is_one_clear_error(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    delete_default_vpc(moto_aws)
    provider = make_aws_provider()
    with pytest.raises(InvalidSpec, match=r"has no default VPC; set settings\.subnets"):
        provider.server_groups.create(create_request("novpc", sequence=1))
    spec = LoadBalancerSpec(name="web", account="aws-test", region=REGION)
    with pytest.raises(InvalidSpec, match="has no default VPC"):
        provider.load_balancers.upsert(spec, AwsLoadBalancerSettings())
    assert moto_aws.client("ec2").describe_launch_templates()["LaunchTemplates"] == []
    _, subnets = own_vpc(moto_aws)
    request = create_request(
        "novpc", sequence=1, settings=AwsServerGroupSettings(subnets=tuple(subnets))
    )
    provider.server_groups.create(request)
    assert raw_group(moto_aws, request.name)["VPCZoneIdentifier"] == ",".join(subnets)


def test_security_groups_are_looked_up_in_the_groups_vpc(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    """Two groups named ``app`` in two VPCs: each server group gets the one of its own VPC."""
    ec2 = moto_aws.client("ec2")
    vpc, subnets = own_vpc(moto_aws)
    default = ec2.create_security_group(GroupName="app", Description="default VPC's")["GroupId"]
    ours = ec2.create_security_group(GroupName="app", Description="ours", VpcId=vpc)["GroupId"]
    provider = make_aws_provider()
    in_default = create_request("sgvpc", sequence=1, security_groups=("app",))
    provider.server_groups.create(in_default)
    assert template_data(moto_aws, in_default.name)["SecurityGroupIds"] == [default]
    in_ours = create_request(
        "sgvpc",
        sequence=2,
        settings=AwsServerGroupSettings(subnets=tuple(subnets)),
        security_groups=("app",),
    )
    provider.server_groups.create(in_ours)
    assert template_data(moto_aws, in_ours.name)["SecurityGroupIds"] == [ours]


def test_too_many_tags_refused_before_any_write(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    request = create_request("tags", sequence=1, tags={f"k{i}": "v" for i in range(45)})
    with pytest.raises(InvalidSpec, match="AWS allows 50 per resource"):
        make_aws_provider().server_groups.create(request)
    assert moto_aws.client("ec2").describe_launch_templates()["LaunchTemplates"] == []


NOT_YET = (
    "You must use a valid fully-formed launch template. The specified launch template, with "
    "template name {name}, does not exist."
)


def _error(message: str) -> Respond:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
        f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    return Respond(400, body.encode(), {"Content-Type": "text/xml"})


def test_create_retried_while_the_template_is_not_yet_visible(
    make_aws_provider: Callable[..., Any],
    moto_aws: Any,
    fault_proxy: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cloudrig_aws.launch.CONSISTENCY_DELAYS", (0.01, 0.01))
    proxy = fault_proxy(moto_aws.url)
    request = create_request("late", sequence=1)
    proxy.add(
        _error(NOT_YET.format(name=request.name)), operation="CreateAutoScalingGroup", times=1
    )
    group = make_aws_provider(endpoint_url=proxy.url).server_groups.create(request)
    assert group.name == request.name
    assert proxy.answered("CreateAutoScalingGroup") == 1
    assert proxy.forwarded("CreateAutoScalingGroup") == 1
    assert raw_group(moto_aws, request.name)["DesiredCapacity"] == 2


def test_create_that_landed_is_not_sent_again(
    make_aws_provider: Callable[..., Any],
    moto_aws: Any,
    fault_proxy: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer said 'not yet visible' but the group was made: the look before the retry
    finds it (ours: same moniker and deployment id) and nothing is sent twice."""
    monkeypatch.setattr("cloudrig_aws.launch.CONSISTENCY_DELAYS", (0.01, 0.01))
    proxy = fault_proxy(moto_aws.url)
    request = create_request("landed", sequence=1)
    sent: list[int] = []

    def land_then_refuse(seen: Request) -> Respond | None:
        if seen.operation != "CreateAutoScalingGroup" or sent:
            return None
        forward = urllib.request.Request(
            f"{moto_aws.url}{seen.path}", data=seen.body, headers=seen.headers, method="POST"
        )
        with urllib.request.urlopen(forward, timeout=10) as answer:
            sent.append(answer.status)
        return _error(NOT_YET.format(name=request.name))

    proxy.add_responder(land_then_refuse)
    group = make_aws_provider(endpoint_url=proxy.url).server_groups.create(request)
    assert group.name == request.name
    assert sent == [200]
    assert proxy.forwarded("CreateAutoScalingGroup") == 0, "never sent a second time"


def test_new_version_inherits_hooks_policies_and_schedules(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_aws_provider()
    v1 = create_request("inherit", sequence=1)
    provider.server_groups.create(v1)
    asg = moto_aws.client("autoscaling")
    asg.put_lifecycle_hook(
        AutoScalingGroupName=v1.name,
        LifecycleHookName="drain",
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=120,
        DefaultResult="CONTINUE",
    )
    asg.put_scaling_policy(
        AutoScalingGroupName=v1.name,
        PolicyName="cpu50",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50.0,
        },
    )
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=v1.name,
        ScheduledActionName="night",
        Recurrence="0 22 * * *",
        DesiredCapacity=1,
    )
    v2 = create_request("inherit", sequence=2)
    provider.server_groups.create(v2)
    hooks = asg.describe_lifecycle_hooks(AutoScalingGroupName=v2.name)["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["HeartbeatTimeout"]) for h in hooks] == [("drain", 120)]
    policies = asg.describe_policies(AutoScalingGroupName=v2.name)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == ["cpu50"]
    assert policies[0]["TargetTrackingConfiguration"]["TargetValue"] == 50.0
    actions = asg.describe_scheduled_actions(AutoScalingGroupName=v2.name)
    assert [
        (a["ScheduledActionName"], a["Recurrence"]) for a in actions["ScheduledUpdateGroupActions"]
    ] == [("night", "0 22 * * *")]
    # Disabled, the inherited scaling is suspended with it (README: disable semantics).
    provider.server_groups.disable(REGION, v2.name)
    suspended = {p["ProcessName"] for p in raw_group(moto_aws, v2.name)["SuspendedProcesses"]}
    assert {"AlarmNotification", "ScheduledActions"} <= suspended


def test_inherit_scaling_false_starts_bare(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_aws_provider()
    v1 = create_request("bare", sequence=1)
    provider.server_groups.create(v1)
    asg = moto_aws.client("autoscaling")
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=v1.name, ScheduledActionName="night", Recurrence="0 22 * * *"
    )
    v2 = create_request("bare", sequence=2, settings=AwsServerGroupSettings(inherit_scaling=False))
    provider.server_groups.create(v2)
    found = asg.describe_scheduled_actions(AutoScalingGroupName=v2.name)
    assert found["ScheduledUpdateGroupActions"] == []


def test_a_create_sent_again_after_a_crash_finishes_inheriting(
    make_aws_provider: Callable[..., Any], moto_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between CreateAutoScalingGroup and the copy: the create sent again on resume finds
    its group and copies the previous version's scaling then."""
    from cloudrig_aws import carry_over

    provider = make_aws_provider()
    v1 = create_request("again", sequence=1)
    provider.server_groups.create(v1)
    asg = moto_aws.client("autoscaling")
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName=v1.name, ScheduledActionName="night", Recurrence="0 22 * * *"
    )
    copy = carry_over.copy_scaling

    def crash(*args: Any) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(carry_over, "copy_scaling", crash)
    v2 = create_request("again", sequence=2)
    with pytest.raises(RuntimeError):
        provider.server_groups.create(v2)
    monkeypatch.setattr(carry_over, "copy_scaling", copy)
    provider.server_groups.create(v2)
    found = asg.describe_scheduled_actions(AutoScalingGroupName=v2.name)
    assert [a["ScheduledActionName"] for a in found["ScheduledUpdateGroupActions"]] == ["night"]
