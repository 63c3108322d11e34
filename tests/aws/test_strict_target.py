"""The strict AWS target itself: each kind of rule refuses a request AWS would refuse, with a
message naming the operation, the member and the rule — so the target cannot silently go soft.
Every test in this directory runs on it (conftest.py); these claim the refusals they provoke."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.aws.strict import STRICT
from support.aws.strict_model import java_pattern


def refused(strict: Any, call: Any, **params: Any) -> tuple[str, str]:
    """Send a request the target must refuse: (error code, message); the refusal is claimed."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    taken = strict.take()
    assert taken, "refused without being recorded"
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_model_ranges_lengths_patterns_enums_and_list_sizes(moto_aws: Any, strict_aws: Any) -> None:
    elb, asg = moto_aws.client("elbv2"), moto_aws.client("autoscaling")
    vpc = moto_aws.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    code, message = refused(
        strict_aws, elb.create_target_group, Name="t", Protocol="HTTP", Port=70000, VpcId=vpc
    )
    assert code == "ValidationError"
    assert "elbv2 CreateTargetGroup: Port breaks range max 65535" in message
    _, message = refused(
        strict_aws, elb.create_target_group, Name="t", Protocol="HTTPX", Port=80, VpcId=vpc
    )
    assert "Protocol breaks enum" in message
    _, message = refused(strict_aws, asg.resume_processes, AutoScalingGroupName="g" * 256)
    assert "ResumeProcesses: AutoScalingGroupName breaks length max 255 characters" in message
    _, message = refused(
        strict_aws,
        asg.create_or_update_tags,
        Tags=[{"ResourceId": "g", "ResourceType": "auto-scaling-group", "Key": "k\x01"}],
    )
    assert "CreateOrUpdateTags: Tags[0].Key breaks pattern" in message
    _, message = refused(
        strict_aws,
        asg.describe_lifecycle_hooks,
        AutoScalingGroupName="g",
        LifecycleHookNames=[f"h{i}" for i in range(51)],
    )
    assert "LifecycleHookNames breaks length max 50 items" in message


def test_ec2_answers_invalid_parameter_value(moto_aws: Any, strict_aws: Any) -> None:
    ec2 = moto_aws.client("ec2")
    code, message = refused(
        strict_aws,
        ec2.create_launch_template,
        LaunchTemplateName="tmpl",
        LaunchTemplateData={"MetadataOptions": {"HttpTokens": "sometimes"}},
    )
    assert code == "InvalidParameterValue"
    assert "LaunchTemplateData.MetadataOptions.HttpTokens breaks enum" in message
    _, message = refused(
        strict_aws,
        ec2.create_launch_template,
        LaunchTemplateName="tmpl",
        LaunchTemplateData={"MetadataOptions": {"HttpPutResponseHopLimit": 65}},
    )
    assert "MetadataOptions.HttpPutResponseHopLimit breaks range 1..64" in message
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []  # never reached moto


def test_documented_request_rules(moto_aws: Any, strict_aws: Any) -> None:
    elb, ec2 = moto_aws.client("elbv2"), moto_aws.client("ec2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    lb = elb.create_load_balancer(Name="lb", Subnets=subnets)["LoadBalancers"][0]
    vpc = lb["VpcId"]
    tgs = [
        elb.create_target_group(Name=f"t{i}", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][
            0
        ]["TargetGroupArn"]
        for i in range(6)
    ]
    forward = {"Type": "forward", "TargetGroupArn": tgs[0]}
    _, message = refused(
        strict_aws,
        elb.create_listener,
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        DefaultActions=[forward],
    )
    assert "CreateListener: Certificates breaks HTTPS and TLS listeners take exactly one" in message
    six = {
        "Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": 1} for a in tgs]},
    }
    _, message = refused(
        strict_aws,
        elb.create_listener,
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[six],
    )
    assert "at most 5 target groups per forward action" in message
    heavy = {
        "Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tgs[0], "Weight": 1000}]},
    }
    _, message = refused(
        strict_aws,
        elb.create_listener,
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[heavy],
    )
    assert "TargetGroups[0].Weight breaks range 0..999" in message
    _, message = refused(
        strict_aws,
        moto_aws.client("autoscaling").create_auto_scaling_group,
        AutoScalingGroupName="g",
        LaunchTemplate={"LaunchTemplateName": "tmpl"},
        MixedInstancesPolicy={"LaunchTemplate": {}},
        MinSize=2,
        MaxSize=1,
    )
    assert "exactly one of LaunchConfigurationName" in message
    assert "MinSize breaks MinSize <= MaxSize" in message
    _, message = refused(
        strict_aws,
        ec2.create_launch_template,
        LaunchTemplateName="tmpl",
        LaunchTemplateData={},
        TagSpecifications=[
            {
                "ResourceType": "launch-template",
                "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)],
            }
        ],
    )
    assert "TagSpecifications[0].Tags breaks at most 50 tags per resource" in message


def test_one_load_balancer_per_target_group_and_certificates_that_exist(
    moto_aws: Any, strict_aws: Any
) -> None:
    elb, ec2 = moto_aws.client("elbv2"), moto_aws.client("ec2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    one, two = (elb.create_load_balancer(Name=n, Subnets=subnets)["LoadBalancers"][0] for n in "ab")
    tg = elb.create_target_group(Name="t", Protocol="HTTP", Port=80, VpcId=one["VpcId"])
    arn = tg["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": arn}]
    elb.create_listener(
        LoadBalancerArn=one["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward
    )
    elb.create_listener(  # a second listener of the same load balancer: allowed
        LoadBalancerArn=one["LoadBalancerArn"], Protocol="HTTP", Port=81, DefaultActions=forward
    )
    code, message = refused(
        strict_aws,
        elb.create_listener,
        LoadBalancerArn=two["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=forward,
    )
    assert code == "TargetGroupAssociationLimit"
    assert "one load balancer per target group" in message
    code, _ = refused(
        strict_aws,
        elb.create_listener,
        LoadBalancerArn=two["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/nope"}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )
    assert code == "CertificateNotFound"


def test_auto_scaling_tags_counted_with_those_the_group_has(moto_aws: Any, strict_aws: Any) -> None:
    asg, ec2 = moto_aws.client("autoscaling"), moto_aws.client("ec2")
    ec2.create_launch_template(LaunchTemplateName="tmpl", LaunchTemplateData={"ImageId": "ami-1"})
    tag = {"ResourceId": "g", "ResourceType": "auto-scaling-group", "PropagateAtLaunch": False}
    asg.create_auto_scaling_group(
        AutoScalingGroupName="g",
        LaunchTemplate={"LaunchTemplateName": "tmpl"},
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
        Tags=[{**tag, "Key": f"k{i}", "Value": "v"} for i in range(40)],
    )
    code, message = refused(
        strict_aws,
        asg.create_or_update_tags,
        Tags=[{**tag, "Key": f"n{i}", "Value": "v"} for i in range(11)],
    )
    assert code == "LimitExceeded"
    assert "would have 51 tags (at most 50)" in message


def test_suspended_add_to_load_balancer_keeps_new_instances_out(
    moto_aws: Any, strict_aws: Any
) -> None:
    """AWS: instances launched while AddToLoadBalancer is suspended are not registered, not even
    after the resume; those registered stay; attaching registers every running instance."""
    asg, ec2, elb = (moto_aws.client(s) for s in ("autoscaling", "ec2", "elbv2"))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    arn = elb.create_target_group(Name="t", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    ec2.create_launch_template(LaunchTemplateName="tmpl", LaunchTemplateData={"ImageId": "ami-1"})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="g",
        LaunchTemplate={"LaunchTemplateName": "tmpl"},
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=1,
        AvailabilityZones=["us-east-1a"],
        TargetGroupARNs=[arn],
    )

    def registered() -> set[str]:
        found = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        return {d["Target"]["Id"] for d in found}

    def instances() -> set[str]:
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])
        return {i["InstanceId"] for i in group["AutoScalingGroups"][0]["Instances"]}

    first = instances()
    assert registered() == first
    asg.suspend_processes(AutoScalingGroupName="g", ScalingProcesses=["AddToLoadBalancer"])
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=2)
    assert registered() == first  # the one registered stays, the new one is kept out
    asg.resume_processes(AutoScalingGroupName="g", ScalingProcesses=["AddToLoadBalancer"])
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=3)
    launched_while_suspended = instances() - first - (registered() - first)
    assert len(launched_while_suspended) == 1
    assert len(registered()) == 2
    asg.detach_load_balancer_target_groups(AutoScalingGroupName="g", TargetGroupARNs=[arn])
    asg.attach_load_balancer_target_groups(AutoScalingGroupName="g", TargetGroupARNs=[arn])
    assert registered() == instances()


def test_off_means_moto_as_shipped(moto_aws: Any, strict_aws: Any) -> None:
    elb = moto_aws.client("elbv2")
    vpc = moto_aws.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    STRICT._enabled -= 1
    try:
        elb.create_target_group(Name="t", Protocol="HTTP", Port=70000, VpcId=vpc)
    finally:
        STRICT._enabled += 1
    assert strict_aws.take() == []


def test_java_patterns_translated() -> None:
    pattern = java_pattern(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\r\n\t]*")
    assert r"\U00010000-\U0010ffff" in pattern
    assert java_pattern(r"^[\w+=,.@-]+$") == r"^[a-zA-Z0-9_+=,.@-]+$"
    assert java_pattern(r"\w+") == "[a-zA-Z0-9_]+"


def test_the_providers_clients_are_checked(make_aws_provider: Any, strict_aws: Any) -> None:
    """Clients built by the provider's factory carry the checks: a refusal is a cloudrig error."""
    from cloudrig import InvalidSpec

    elb = make_aws_provider().clients.client("elbv2", "us-east-1")
    with pytest.raises(InvalidSpec, match="Port breaks range max 65535"):
        elb.call("create_target_group", Name="t", Protocol="HTTP", Port=70000, VpcId="vpc-1")
    assert [v.member for v in strict_aws.take()] == ["Port"]


def test_a_swallowed_refusal_still_fails_the_test(pytester: pytest.Pytester) -> None:
    """Code that catches the refusal and carries on does not make the test pass."""
    pytester.makeconftest("pytest_plugins = ['support.aws']")
    pytester.makepyfile(
        """
        import boto3

        def test_swallows(strict_aws):
            client = boto3.client(
                "elbv2", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                aws_access_key_id="x", aws_secret_access_key="y",
            )
            try:
                client.create_target_group(Name="t", Port=70000)
            except Exception:
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*CreateTargetGroup: Port breaks range max 65535*"])
