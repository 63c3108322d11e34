"""The moto server fixture and its extensions (ECS service tasks, target health), through boto3."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest

from support.aws.server import MotoServer
from support.aws.target_health import Lifecycle

pytestmark = pytest.mark.moto


@dataclass
class EcsEnv:
    ecs: Any
    elbv2: Any
    cluster: str
    target_group: str
    task_definition: str
    network: dict[str, Any]

    def create_service(self, name: str = "web", desired: int = 2, **extra: Any) -> dict[str, Any]:
        return dict(
            self.ecs.create_service(
                cluster=self.cluster,
                serviceName=name,
                taskDefinition=self.task_definition,
                desiredCount=desired,
                launchType="FARGATE",
                networkConfiguration=self.network,
                loadBalancers=[
                    {
                        "targetGroupArn": self.target_group,
                        "containerName": "app",
                        "containerPort": 8080,
                    }
                ],
                **extra,
            )["service"]
        )

    def service(self, name: str = "web") -> dict[str, Any]:
        return dict(
            self.ecs.describe_services(cluster=self.cluster, services=[name])["services"][0]
        )

    def tasks(self, name: str = "web", desired: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=name, desiredStatus=desired)[
            "taskArns"
        ]
        if not arns:
            return []
        return list(self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"])

    def targets(self) -> dict[str, str]:
        described = self.elbv2.describe_target_health(TargetGroupArn=self.target_group)
        return {
            d["Target"]["Id"]: d["TargetHealth"]["State"]
            for d in described["TargetHealthDescriptions"]
        }


@pytest.fixture
def env(moto_aws: MotoServer) -> EcsEnv:
    """A VPC, an ip target group, a cluster and a Fargate task definition with a health check;
    the model clock frozen so tests step time explicitly."""
    ec2, elbv2, ecs = moto_aws.client("ec2"), moto_aws.client("elbv2"), moto_aws.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    target_group = elbv2.create_target_group(
        Name="web",
        Protocol="HTTP",
        Port=80,
        VpcId=vpc,
        TargetType="ip",
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="apps")
    task_definition = ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": "nginx",
                "portMappings": [{"containerPort": 8080}],
                "healthCheck": {"command": ["CMD-SHELL", "true"]},
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    moto_aws.clock.freeze()
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}
    return EcsEnv(ecs, elbv2, "apps", target_group, task_definition, network)


def test_recorder_counts_every_boto3_call(moto_aws: MotoServer) -> None:
    ec2, asg, ecs = moto_aws.client("ec2"), moto_aws.client("autoscaling"), moto_aws.client("ecs")
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    asg.describe_auto_scaling_groups()
    ecs.list_clusters()

    assert moto_aws.request_count() == 4
    assert moto_aws.request_count("DescribeVpcs") == 2
    assert moto_aws.request_count("DescribeAutoScalingGroups") == 1
    assert moto_aws.request_count("ListClusters") == 1


def test_reset_empties_backends_and_recording(moto_aws: MotoServer) -> None:
    ecs = moto_aws.client("ecs")
    ecs.create_cluster(clusterName="doomed")
    assert ecs.list_clusters()["clusterArns"]

    moto_aws.reset()

    assert moto_aws.request_count() == 0
    assert ecs.list_clusters()["clusterArns"] == []


def test_service_tasks_go_pending_then_running_into_the_target_group(
    env: EcsEnv, moto_aws: MotoServer
) -> None:
    created = env.create_service(desired=2)
    # AWS answers CreateService before its scheduler starts a task: none running or pending.
    assert (created["runningCount"], created["pendingCount"]) == (0, 0)
    assert (env.service()["runningCount"], env.service()["pendingCount"]) == (0, 2)
    tasks = env.tasks()
    assert [t["lastStatus"] for t in tasks] == ["PENDING", "PENDING"]
    assert env.targets() == {}

    moto_aws.clock.advance(0.25)  # start
    tasks = env.tasks()
    assert {t["lastStatus"] for t in tasks} == {"RUNNING"}
    assert {t["healthStatus"] for t in tasks} == {"UNKNOWN"}  # health check not passed yet
    ips = {
        d["value"]
        for t in tasks
        for a in t["attachments"]
        for d in a["details"]
        if d["name"] == "privateIPv4Address"
    }
    assert set(env.targets()) == ips
    assert len(ips) == 2
    assert all(ip.startswith("10.0.1.") for ip in ips)  # inside the subnet

    moto_aws.clock.advance(0.25)  # health check passes
    assert {t["healthStatus"] for t in env.tasks()} == {"HEALTHY"}
    service = env.service()
    assert (service["runningCount"], service["pendingCount"]) == (2, 0)
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert "has reached a steady state" in service["events"][0]["message"]


def test_desired_count_changes_start_and_stop_tasks(env: EcsEnv, moto_aws: MotoServer) -> None:
    env.create_service(desired=1)
    moto_aws.clock.advance(0.5)
    env.ecs.update_service(cluster=env.cluster, service="web", desiredCount=3)
    assert env.service()["pendingCount"] == 2
    moto_aws.clock.advance(0.5)
    assert env.service()["runningCount"] == 3
    assert len(env.targets()) == 3

    env.ecs.update_service(cluster=env.cluster, service="web", desiredCount=1)
    stopping = env.tasks(desired="STOPPED")
    assert len(stopping) == 2
    assert {t["lastStatus"] for t in stopping} == {"DEACTIVATING"}
    assert all(t["stoppedReason"].startswith("Scaling activity initiated by") for t in stopping)
    assert len(env.targets()) == 1  # deregistered when the stop began
    moto_aws.clock.advance(0.5)
    stopped = env.tasks(desired="STOPPED")
    assert {(t["lastStatus"], t["stopCode"]) for t in stopped} == {
        ("STOPPED", "ServiceSchedulerInitiated")
    }
    assert env.service()["runningCount"] == 1


def test_tasks_that_fail_to_start_stop_with_a_reason_and_are_replaced(
    env: EcsEnv, moto_aws: MotoServer
) -> None:
    moto_aws.ecs.fail_next_starts("web", count=1, reason="CannotPullContainerError: no such image")
    env.create_service(desired=1)
    moto_aws.clock.advance(0.25)

    failed = env.tasks(desired="STOPPED")
    assert len(failed) == 1
    assert failed[0]["lastStatus"] == "STOPPED"
    assert failed[0]["stopCode"] == "TaskFailedToStart"
    assert failed[0]["stoppedReason"] == "CannotPullContainerError: no such image"
    assert env.service()["deployments"][0]["failedTasks"] == 1
    assert env.targets() == {}  # never registered

    moto_aws.clock.advance(0.25)  # the replacement started after the failure runs
    assert [t["lastStatus"] for t in env.tasks()] == ["RUNNING"]
    assert len(env.targets()) == 1


def test_unhealthy_container_shows_in_task_and_target_group_then_is_replaced(
    env: EcsEnv, moto_aws: MotoServer
) -> None:
    env.create_service(desired=1)
    moto_aws.clock.advance(0.5)
    (task,) = env.tasks()

    moto_aws.ecs.make_unhealthy(task["taskArn"])

    (seen,) = env.tasks()
    assert seen["healthStatus"] == "UNHEALTHY"
    assert seen["containers"][0]["healthStatus"] == "UNHEALTHY"
    assert set(env.targets().values()) == {"unhealthy"}

    moto_aws.clock.advance(0.6)  # the scheduler replaces it
    stopped = env.ecs.describe_tasks(cluster=env.cluster, tasks=[task["taskArn"]])["tasks"][0]
    assert stopped["desiredStatus"] == "STOPPED"
    assert stopped["stoppedReason"] == "Task failed container health checks"
    moto_aws.clock.advance(0.5)
    (replacement,) = env.tasks()
    assert replacement["taskArn"] != task["taskArn"]
    assert replacement["healthStatus"] == "HEALTHY"
    assert set(env.targets().values()) == {"healthy"}


def test_crash_and_user_stop_are_replaced(env: EcsEnv, moto_aws: MotoServer) -> None:
    env.create_service(desired=2)
    moto_aws.clock.advance(0.5)
    first, second = env.tasks()

    moto_aws.ecs.crash(first["taskArn"], exit_code=137)
    env.ecs.stop_task(cluster=env.cluster, task=second["taskArn"], reason="operator")
    moto_aws.clock.advance(0.5)

    stopped = {t["taskArn"]: t for t in env.tasks(desired="STOPPED")}
    assert stopped[first["taskArn"]]["stopCode"] == "EssentialContainerExited"
    assert stopped[first["taskArn"]]["containers"][0]["exitCode"] == 137
    assert stopped[second["taskArn"]]["stopCode"] == "UserInitiated"
    assert stopped[second["taskArn"]]["stoppedReason"] == "operator"
    moto_aws.clock.advance(0.5)
    running = env.tasks()
    assert len(running) == 2
    assert not {t["taskArn"] for t in running} & set(stopped)


def test_new_task_definition_replaces_tasks_after_new_ones_run(
    env: EcsEnv, moto_aws: MotoServer
) -> None:
    env.create_service(desired=1)
    moto_aws.clock.advance(0.5)
    (old,) = env.tasks()
    revision = env.ecs.register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx:2"}],
    )["taskDefinition"]["taskDefinitionArn"]

    env.ecs.update_service(cluster=env.cluster, service="web", taskDefinition=revision)
    assert {t["taskDefinitionArn"] for t in env.tasks()} == {env.task_definition, revision}
    assert env.service()["deployments"][0]["rolloutState"] == "IN_PROGRESS"

    moto_aws.clock.advance(0.25)
    (new,) = env.tasks()
    assert new["taskDefinitionArn"] == revision
    assert new["healthStatus"] == "UNKNOWN"  # no health check in this revision
    assert (
        env.ecs.describe_tasks(cluster=env.cluster, tasks=[old["taskArn"]])["tasks"][0][
            "desiredStatus"
        ]
        == "STOPPED"
    )


def test_deleting_a_service_stops_its_tasks(env: EcsEnv, moto_aws: MotoServer) -> None:
    env.create_service(desired=2)
    moto_aws.clock.advance(0.5)
    env.ecs.delete_service(cluster=env.cluster, service="web", force=True)
    moto_aws.clock.advance(0.5)
    assert env.tasks() == []
    assert {t["lastStatus"] for t in env.tasks(desired="STOPPED")} == {"STOPPED"}
    assert env.targets() == {}


def test_services_outside_the_ecs_scheduler_get_no_tasks(env: EcsEnv) -> None:
    env.ecs.create_service(
        cluster=env.cluster,
        serviceName="ext",
        desiredCount=2,
        deploymentController={"type": "EXTERNAL"},
    )
    assert env.tasks("ext") == []
    assert env.service("ext")["runningCount"] == 0


def _ip_group(moto_aws: MotoServer, name: str = "plain") -> tuple[Any, str]:
    ec2, elbv2 = moto_aws.client("ec2"), moto_aws.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    arn = elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.1.0.5"}, {"Id": "10.1.0.6"}])
    return elbv2, arn


def _states(elbv2: Any, arn: str) -> dict[str, tuple[str, str | None]]:
    return {
        d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
        for d in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    }


def test_target_health_defaults_to_moto_and_follows_overrides(moto_aws: MotoServer) -> None:
    elbv2, arn = _ip_group(moto_aws)
    assert _states(elbv2, arn) == {"10.1.0.5": ("healthy", None), "10.1.0.6": ("healthy", None)}

    moto_aws.target_health.set(arn, "unhealthy")
    moto_aws.target_health.set(arn, "healthy", target_id="10.1.0.6")
    assert _states(elbv2, arn) == {
        "10.1.0.5": ("unhealthy", "Target.FailedHealthChecks"),
        "10.1.0.6": ("healthy", None),
    }

    moto_aws.target_health.unset(arn)
    assert _states(elbv2, arn)["10.1.0.5"] == ("healthy", None)


def test_target_health_lifecycle_initial_then_healthy_and_draining(moto_aws: MotoServer) -> None:
    moto_aws.clock.freeze()
    elbv2, arn = _ip_group(moto_aws)
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=5, draining_for=10))
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.1.0.7"}])
    assert _states(elbv2, arn)["10.1.0.7"] == ("initial", "Elb.RegistrationInProgress")

    moto_aws.clock.advance(5)
    assert _states(elbv2, arn)["10.1.0.7"] == ("healthy", None)

    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.1.0.7"}])
    assert _states(elbv2, arn)["10.1.0.7"] == ("draining", "Target.DeregistrationInProgress")
    moto_aws.clock.advance(10)
    assert "10.1.0.7" not in _states(elbv2, arn)


def test_target_health_lifecycle_can_end_unhealthy(moto_aws: MotoServer) -> None:
    moto_aws.clock.freeze()
    elbv2, arn = _ip_group(moto_aws)
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=1, then="unhealthy"))
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.1.0.8"}])
    moto_aws.clock.advance(1)
    assert _states(elbv2, arn)["10.1.0.8"] == ("unhealthy", "Target.FailedHealthChecks")


def test_lambda_invoke_without_docker(moto_aws: MotoServer) -> None:
    iam, lam = moto_aws.client("iam"), moto_aws.client("lambda")
    role = iam.create_role(
        RoleName="fn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    lam.create_function(
        FunctionName="echo",
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )

    answer = lam.invoke(FunctionName="echo", Payload=json.dumps({"hello": "world"}).encode())

    assert answer["StatusCode"] == 200
    assert json.loads(answer["Payload"].read()) == {"hello": "world"}


def test_auto_scaling_instances_follow_the_target_group_lifecycle(moto_aws: MotoServer) -> None:
    moto_aws.clock.freeze()
    ec2, elbv2 = moto_aws.client("ec2"), moto_aws.client("elbv2")
    asg = moto_aws.client("autoscaling")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    arn = elbv2.create_target_group(
        Name="asg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=3))
    ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
    )  # moto checks no AMI ids
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web",
        MinSize=2,
        MaxSize=2,
        DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": "web"},
        VPCZoneIdentifier=subnet,
        TargetGroupARNs=[arn],
    )

    states = _states(elbv2, arn)
    assert len(states) == 2
    assert {state for state, _ in states.values()} == {"initial"}
    moto_aws.clock.advance(3)
    assert {state for state, _ in _states(elbv2, arn).values()} == {"healthy"}
