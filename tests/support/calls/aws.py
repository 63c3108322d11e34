"""AWS call-count scenarios on moto server (counted at the fault-and-count proxy in front of it).

- ``boto3-red-black-baseline``: a minimal red/black written by hand with boto3 — what a careful
  engineer would type: CreateLaunchTemplate, CreateAutoScalingGroup (into the target group), one
  DescribeAutoScalingGroups, one DescribeTargetHealth, SuspendProcesses (AddToLoadBalancer) and
  DetachLoadBalancerTargetGroups of the old group: 6 requests;
- ``cloudrig-red-black``: ``rig.deploy(spec, RedBlack())`` of a 2-instance group onto a cluster
  with one previous version, through the AWS provider (budget: 16);
- ``cloudrig-red-black-concurrent-N``: N such deployments of N clusters in one process and
  region at once, with target health ``initial`` for a few seconds so every deployment polls;
  reported with the describes per deployment, against N=1 run the same way.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from support.calls.harness import Counter, Outcome, Scenario, admitted, cache_reads, snapshot

REGION, ZONES = "us-east-1", ("us-east-1a", "us-east-1b")
KEY_ENV, SECRET_ENV = "CLOUDRIG_BENCH_AWS_KEY_ID", "CLOUDRIG_BENCH_AWS_SECRET"
ACCOUNT = "aws-bench"


def _rig(url: str, tmp: Path, **limits: Any) -> Any:
    import cloudrig
    from cloudrig.engine import SqliteStateStore

    os.environ.setdefault(KEY_ENV, "testing")  # moto takes any credentials
    os.environ.setdefault(SECRET_ENV, "testing")
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "aws",
                    "regions": [REGION],
                    "access_key_id": f"env:{KEY_ENV}",
                    "secret_access_key": f"env:{SECRET_ENV}",
                    "endpoint_url": url,
                    "account_id": "123456789012",
                }
            },
            "limits": limits,
        },
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def _spec(app: str, artifact: str) -> Any:
    from cloudrig import Capacity, Moniker, ServerGroupSpec

    return ServerGroupSpec(
        moniker=Moniker(app=app, stack="prod"),
        account=ACCOUNT,
        region=REGION,
        zones=ZONES,
        artifact=artifact,
        capacity=Capacity.fixed(2),
        load_balancers=("web",),
    )


def _web(rig: Any) -> None:
    from cloudrig import LoadBalancerSpec

    rig.account(ACCOUNT).upsert_load_balancer(
        LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
    )


def baseline(counter: Counter) -> None:
    """The hand-written red/black; setup (load balancer, v000) is not counted."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    config = Config(retries={"total_max_attempts": 1})
    ec2, asg, elb = (
        session.client(s, endpoint_url=counter.url, config=config)
        for s in ("ec2", "autoscaling", "elbv2")
    )
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    tg = elb.create_target_group(Name="hand", Protocol="HTTP", Port=80, VpcId=vpc["VpcId"])
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]

    def version(name: str, ami: str) -> None:
        ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={"ImageId": ami})
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": name},
            MinSize=2,
            MaxSize=2,
            DesiredCapacity=2,
            AvailabilityZones=list(ZONES),
            TargetGroupARNs=[tg_arn],
        )

    version("hand-v000", "ami-00000001")
    with counter.measure():
        version("hand-v001", "ami-00000002")
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["hand-v001"])
        assert len(group["AutoScalingGroups"][0]["Instances"]) == 2
        health = elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        assert all(d["TargetHealth"]["State"] == "healthy" for d in health)
        asg.suspend_processes(
            AutoScalingGroupName="hand-v000", ScalingProcesses=["AddToLoadBalancer"]
        )
        asg.detach_load_balancer_target_groups(
            AutoScalingGroupName="hand-v000", TargetGroupARNs=[tg_arn]
        )


def red_black(counter: Counter) -> int:
    from cloudrig.strategies import RedBlack

    with tempfile.TemporaryDirectory() as tmp:
        rig = _rig(counter.url, Path(tmp))
        _web(rig)
        rig.deploy(_spec("shop", "ami-00000001"), RedBlack()).raise_for_status()
        before = snapshot(rig.limiter)
        with counter.measure():
            rig.deploy(_spec("shop", "ami-00000002"), RedBlack()).raise_for_status()
        return admitted(rig.limiter, before)


def concurrent(moto: Any, n: int) -> Scenario:
    """N red/blacks at once; target health stays ``initial`` for 3 s so each polls a few times."""

    def run(counter: Counter) -> Outcome:
        from cloudrig.strategies import RedBlack
        from support.aws import Lifecycle

        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(
                counter.url,
                Path(tmp),
                read={"rate": 50, "burst": 10},
                mutate={"rate": 20, "burst": 10},
            )
            _web(rig)
            apps = [f"app{i}" for i in range(n)]
            for app in apps:
                rig.deploy(_spec(app, "ami-00000001"), RedBlack()).raise_for_status()
            elb = moto.client("elbv2")
            tg = elb.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
            moto.target_health.lifecycle(tg, Lifecycle(initial_for=3.0))
            before, reads_before = snapshot(rig.limiter), cache_reads(rig.limiter)
            errors: list[BaseException] = []

            def deploy(app: str) -> None:
                try:
                    rig.deploy(_spec(app, "ami-00000002"), RedBlack()).raise_for_status()
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=deploy, args=(a,)) for a in apps]
            with counter.measure():
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            moto.target_health.clear()
            if errors:
                raise errors[0]
            return Outcome(admitted(rig.limiter, before), cache_reads(rig.limiter, reads_before))

    return Scenario(
        f"cloudrig-red-black-concurrent-{n}",
        "aws",
        f"{n} red/blacks of {n} clusters at once in one process, each polling health ~3 s",
        run,
    )


def scenarios(moto: Any) -> list[Scenario]:
    return [
        Scenario(
            "boto3-red-black-baseline",
            "aws",
            "hand-written boto3 red/black of a 2-instance group (the floor)",
            baseline,
        ),
        Scenario(
            "cloudrig-red-black",
            "aws",
            "rig.deploy(RedBlack) of a 2-instance group onto a cluster with one previous version",
            red_black,
            budget=16,
        ),
        concurrent(moto, 1),
        concurrent(moto, 4),
    ]
