"""ECS call-count scenarios on moto server with the test support's ECS task model (counted at the
fault-and-count proxy in front of it).

    .venv/bin/python benchmarks/calls/ecs.py     # writes results-ecs.json, prints the table

- ``boto3-ecs-red-black-baseline``: a minimal red/black written by hand with boto3 onto a service
  whose target group takes all of the listener's traffic: RegisterTaskDefinition,
  CreateTargetGroup, CreateService (into it), DescribeServices until both tasks run,
  ModifyListener (all weight to the new target group);
- ``cloudrig-ecs-red-black``: ``rig.deploy(spec, RedBlack())`` of a 2-task service through the
  ECS provider onto a cluster with one previous version; how the limiter's read cache served its
  reads is recorded as ``reads``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from support.calls.harness import (
    RESULTS,
    Counter,
    Outcome,
    Result,
    Scenario,
    admitted,
    cache_reads,
    measure,
    record,
    snapshot,
    table,
)

REGION, ACCOUNT, CLUSTER = "us-east-1", "ecs-bench", "bench"
KEY_ENV, SECRET_ENV = "CLOUDRIG_BENCH_AWS_KEY_ID", "CLOUDRIG_BENCH_AWS_SECRET"
BUDGET = 26  # measured 21: one more health poll (5 reads) on a slow machine stays within


def _rig(url: str, tmp: Path) -> Any:
    import cloudrig
    from cloudrig.engine import SqliteStateStore

    os.environ.setdefault(KEY_ENV, "testing")  # moto takes any credentials
    os.environ.setdefault(SECRET_ENV, "testing")
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "ecs",
                    "regions": [REGION],
                    "access_key_id": f"env:{KEY_ENV}",
                    "secret_access_key": f"env:{SECRET_ENV}",
                    "endpoint_url": url,
                    "account_id": "123456789012",
                    "cluster": CLUSTER,
                }
            },
        },
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def baseline(moto: Any) -> Scenario:
    def run(counter: Counter) -> None:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        config = Config(retries={"total_max_attempts": 1})
        ec2, ecs, elb = (
            session.client(s, endpoint_url=counter.url, config=config)
            for s in ("ec2", "ecs", "elbv2")
        )
        ecs.create_cluster(clusterName=CLUSTER)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
        subnets = [
            s["SubnetId"]
            for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
                "Subnets"
            ][:2]
        ]
        group = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"][0]["GroupId"]
        lb = elb.create_load_balancer(Name="hand", Subnets=subnets)["LoadBalancers"][0]

        def version(n: int) -> str:
            ecs.register_task_definition(
                family=f"hand-v{n:03d}",
                networkMode="awsvpc",
                containerDefinitions=[
                    {
                        "name": "app",
                        "image": f"shop:{n}",
                        "memory": 512,
                        "essential": True,
                        "portMappings": [{"containerPort": 80}],
                    }
                ],
            )
            tg = elb.create_target_group(
                Name=f"hand-v{n:03d}",
                Protocol="HTTP",
                Port=80,
                VpcId=vpc["VpcId"],
                TargetType="ip",
            )["TargetGroups"][0]["TargetGroupArn"]
            ecs.create_service(
                cluster=CLUSTER,
                serviceName=f"hand-v{n:03d}",
                taskDefinition=f"hand-v{n:03d}",
                desiredCount=2,
                loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}],
                networkConfiguration={
                    "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}
                },
            )
            return str(tg)

        old = version(0)
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": old}],
        )["Listeners"][0]["ListenerArn"]
        with counter.measure():
            new = version(1)
            time.sleep(moto.ecs.timing.start + 0.1)
            for _ in range(20):  # until both tasks run (the service's count comes from them)
                found = ecs.describe_services(cluster=CLUSTER, services=["hand-v001"])
                if found["services"][0]["runningCount"] == 2:
                    break
                time.sleep(0.2)
            elb.modify_listener(
                ListenerArn=listener,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": new}],
            )

    return Scenario(
        "boto3-ecs-red-black-baseline",
        "ecs",
        "hand-written boto3: task definition, target group, service, one health read, switch",
        run,
    )


def red_black(moto: Any) -> Scenario:
    def run(counter: Counter) -> Outcome:
        from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
        from cloudrig.strategies import RedBlack

        moto.client("ecs").create_cluster(clusterName=CLUSTER)
        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(counter.url, Path(tmp))
            rig.account(ACCOUNT).upsert_load_balancer(
                LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
            )

            def spec(n: int) -> ServerGroupSpec:
                return ServerGroupSpec(
                    moniker=Moniker(app="shop", stack="prod"),
                    account=ACCOUNT,
                    region=REGION,
                    artifact=f"public.ecr.aws/shop/web:{n}",
                    capacity=Capacity.fixed(2),
                    load_balancers=("web",),
                )

            rig.deploy(spec(1), RedBlack()).raise_for_status()
            before, reads = snapshot(rig.limiter), cache_reads(rig.limiter)
            with counter.measure():
                rig.deploy(spec(2), RedBlack()).raise_for_status()
            return Outcome(admitted(rig.limiter, before), cache_reads(rig.limiter, reads))

    return Scenario(
        "cloudrig-ecs-red-black",
        "ecs",
        "rig.deploy(RedBlack) of a 2-task service onto a cluster with one previous version",
        run,
        budget=BUDGET,
    )


def scenarios(moto: Any) -> list[Scenario]:
    return [baseline(moto), red_black(moto)]


def main() -> int:
    from support.aws.server import MotoServer
    from support.proxy import FaultProxy

    moto = MotoServer()
    proxies: list[FaultProxy] = []
    results: list[Result] = []
    try:
        for scenario in scenarios(moto):
            moto.reset()
            proxies.append(FaultProxy(moto.url).start())
            results.append(measure(scenario, lambda: proxies[-1]))
    finally:
        for proxy in proxies:
            proxy.stop()
        moto.stop()
    record(results, RESULTS / "results-ecs.json")
    print(table(results))
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
