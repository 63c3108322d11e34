"""Load balancers: ELB target groups of type ``lambda``, in front of a cluster's alias.

An alias cannot exist before its function, but a load balancer is upserted before any server
group, so the load balancer noun is the target group an ALB listener forwards to; the alias it
targets is the cluster's traffic switch (``traffic``). When a cluster's alias is created, it is
registered in the target groups its groups were deployed behind, with the ``lambda:InvokeFunction``
permission ELB needs. The cloudrig name is kept in the tag ``cloudrig:name`` (target group names
take 32 characters).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from typing import Any

from cloudrig import Conflict, LoadBalancer, LoadBalancerSpec, NotFound
from cloudrig.provider import LoadBalancers
from cloudrig_aws import ClientFactory, tag_values
from cloudrig_lambda.naming import target_group_name
from cloudrig_lambda.settings import LambdaLoadBalancerSettings

TAG_NAME = "cloudrig:name"
TAG_LBS = "cloudrig:load-balancers"


class LambdaLoadBalancers(LoadBalancers[LambdaLoadBalancerSettings]):
    """The ``load_balancers`` noun: target groups of type ``lambda`` in the account's
    ``regions``."""

    def __init__(self, factory: ClientFactory, *, regions: tuple[str, ...]) -> None:
        self._factory = factory
        self._account = factory.account
        self._regions = regions

    def _elb(self, region: str) -> Any:
        return self._factory.client("elbv2", region)

    def _find(self, region: str, name: str) -> dict[str, Any] | None:
        try:
            found = self._elb(region).call(
                "describe_target_groups", resource=name, Names=[target_group_name(name)]
            )["TargetGroups"]
        except NotFound:
            return None
        return found[0] if found else None

    def _model(self, region: str, name: str) -> LoadBalancer:
        return LoadBalancer(
            name=name, account=self._account, region=region, protocol="lambda", port=443
        )

    def upsert(self, spec: LoadBalancerSpec, settings: LambdaLoadBalancerSettings) -> LoadBalancer:
        group = self._find(spec.region, spec.name)
        if group is not None and group.get("TargetType") != "lambda":
            raise Conflict(f"target group of {spec.name} exists and is not of type lambda")
        elb = self._elb(spec.region)
        if group is None:
            elb.call(
                "create_target_group",
                resource=spec.name,
                Name=target_group_name(spec.name),
                TargetType="lambda",
                HealthCheckEnabled=settings.health_check,
                Tags=[{"Key": TAG_NAME, "Value": tag_values.encode(spec.name)}],
            )
        elif group.get("HealthCheckEnabled") != settings.health_check:
            elb.call(
                "modify_target_group",
                resource=spec.name,
                TargetGroupArn=group["TargetGroupArn"],
                HealthCheckEnabled=settings.health_check,
            )
        return self._model(spec.region, spec.name)

    def get(self, region: str, name: str) -> LoadBalancer:
        group = self._find(region, name)
        if group is None or group.get("TargetType") != "lambda":
            raise NotFound(f"load balancer {name} not found", resource=name)
        return self._model(region, name)

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        found = []
        for where in (region,) if region else self._regions:
            elb = self._elb(where)
            groups = [
                g
                for g in elb.pages("describe_target_groups", "TargetGroups")
                if g.get("TargetType") == "lambda"
            ]
            for start in range(0, len(groups), 20):  # DescribeTags takes 20 ARNs
                arns = [g["TargetGroupArn"] for g in groups[start : start + 20]]
                for described in elb.call("describe_tags", ResourceArns=arns)["TagDescriptions"]:
                    tags = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
                    if TAG_NAME in tags:
                        found.append(self._model(where, tag_values.decode(tags[TAG_NAME])))
        return found

    def delete(self, region: str, name: str) -> None:
        group = self._find(region, name)
        if group is None:
            return
        with contextlib.suppress(NotFound):
            self._elb(region).call(
                "delete_target_group", resource=name, TargetGroupArn=group["TargetGroupArn"]
            )

    def attach_alias(self, region: str, alias_arn: str, lbs: Sequence[str]) -> None:
        """Register a new alias in the target groups ``lbs`` (with ELB's invoke permission)."""
        lam = self._factory.client("lambda", region)
        for name in lbs:
            group = self._find(region, name)
            if group is None:
                raise NotFound(f"load balancer {name} not found", resource=name)
            arn = group["TargetGroupArn"]
            statement = "cloudrig-elb-" + hashlib.sha256(arn.encode()).hexdigest()[:16]
            with contextlib.suppress(Conflict):  # done by an earlier attempt
                lam.call(
                    "add_permission",
                    resource=alias_arn,
                    FunctionName=alias_arn,
                    StatementId=statement,
                    Action="lambda:InvokeFunction",
                    Principal="elasticloadbalancing.amazonaws.com",
                    SourceArn=arn,
                )
            self._elb(region).call(
                "register_targets",
                resource=name,
                TargetGroupArn=arn,
                Targets=[{"Id": alias_arn}],
            )
