"""Target groups by name, and their health: the lookups every other noun shares.

A load balancer's target group carries the load balancer's (mapped) name, so resolving a name to
an ARN is one ``DescribeTargetGroups`` call for any number of names. ARNs are remembered for the
life of the process (a name keeps its ARN until the target group is deleted, which this provider
does itself and then forgets it); target health goes through the limiter's short read cache, so
N deployments polling one target group make one call per poll.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from cloudrig import NotFound
from cloudrig_aws.clients import ClientFactory


def name_of(arn: str) -> str:
    """``arn:aws:elasticloadbalancing:…:targetgroup/<name>/<id>`` → ``<name>``."""
    return arn.split(":targetgroup/", 1)[-1].split("/", 1)[0]


class TargetGroups:
    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], dict[str, Any]] = {}

    def describe(self, region: str, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{name: TargetGroup}`` for each name (``NotFound`` naming the missing ones)."""
        wanted = sorted(set(names))
        with self._lock:
            missing = [n for n in wanted if (region, n) not in self._known]
        if missing:
            elb = self._factory.client("elbv2", region)
            found = {
                tg["TargetGroupName"]: tg
                for tg in elb.call(
                    "describe_target_groups", Names=missing, resource=",".join(missing)
                )["TargetGroups"]
            }
            absent = [n for n in missing if n not in found]
            if absent:
                raise NotFound(
                    f"target groups {', '.join(absent)} do not exist in {region}",
                    provider="aws",
                    resource=",".join(absent),
                )
            with self._lock:
                for name, tg in found.items():
                    self._known[(region, name)] = tg
        with self._lock:
            return {n: self._known[(region, n)] for n in wanted}

    def remember(self, region: str, tg: dict[str, Any]) -> None:
        with self._lock:
            self._known[(region, tg["TargetGroupName"])] = tg

    def forget(self, region: str, name: str) -> None:
        with self._lock:
            self._known.pop((region, name), None)

    def known(self, region: str, names: Iterable[str]) -> list[str]:
        """ARNs of those of ``names`` this process knows, without asking AWS."""
        with self._lock:
            return [
                self._known[(region, n)]["TargetGroupArn"]
                for n in names
                if (region, n) in self._known
            ]

    def arns(self, region: str, names: Iterable[str]) -> list[str]:
        return [tg["TargetGroupArn"] for tg in self.describe(region, names).values()]

    def health(self, region: str, arn: str, *, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """``{instance id: TargetHealth}`` of a target group (draining targets included)."""
        elb = self._factory.client("elbv2", region)

        def load() -> dict[str, dict[str, Any]]:
            answer = elb.call("describe_target_health", TargetGroupArn=arn, resource=name_of(arn))
            return {
                d["Target"]["Id"]: d.get("TargetHealth", {})
                for d in answer.get("TargetHealthDescriptions", [])
            }

        return elb.read(("target-health", arn), load, fresh=fresh)

    def invalidate_health(self, region: str, arns: Iterable[str]) -> None:
        """Forget cached target health after this process changed who is registered."""
        elb = self._factory.client("elbv2", region)
        for arn in arns:
            elb.invalidate(("target-health", arn))
