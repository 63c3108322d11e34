"""Load balancers, and the traffic weights they give the server groups behind them.

Two nouns of the provider live here because the weights live on the load balancer:
``ExampleLoadBalancers`` (``cloudrig.provider.LoadBalancers``, typed by the load balancer settings
block) and ``ExampleTraffic`` (``cloudrig.provider.Traffic``). An example cloud load balancer
targets server groups (a group joins the load balancers named in its create request) and routes to
the *enabled* ones in proportion to their weights (0-100): exact traffic splitting over at most 4
groups per weights update (``max_weighted_groups``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import suppress
from typing import NamedTuple
from urllib.parse import quote

from cloudrig import Conflict, InvalidSpec, LoadBalancer, LoadBalancerSpec, NotFound, TrafficWeights
from cloudrig.provider import LoadBalancers, Traffic
from cloudrig_example._client import ExampleClient, Json
from cloudrig_example.errors import PROVIDER, unexpected_answer
from cloudrig_example.naming import cloud_name
from cloudrig_example.server_groups import ExampleServerGroups
from cloudrig_example.settings import ExampleLoadBalancerSettings


def _path(region: str, name: str | None = None) -> str:
    base = f"/regions/{quote(region, safe='')}/load-balancers"
    return base if name is None else f"{base}/{quote(name, safe='')}"


class ExampleLoadBalancers(LoadBalancers[ExampleLoadBalancerSettings]):
    """The load balancers of one account, in its ``regions``."""

    def __init__(self, client: ExampleClient, account: str, regions: tuple[str, ...]) -> None:
        self._client = client
        self._account = account
        self._regions = regions

    def upsert(self, spec: LoadBalancerSpec, settings: ExampleLoadBalancerSettings) -> LoadBalancer:
        """Create, or replace the settings of an existing one (its targets are kept)."""
        name = cloud_name(spec.name)
        check = spec.health_check
        body: Json = {
            "name": name,
            "protocol": spec.protocol,
            "port": spec.port,
            "target_port": spec.target_port,
            "algorithm": settings.algorithm,
            "health_check": {
                "protocol": check.protocol,
                "path": check.path,
                "port": check.port,
                "interval_seconds": check.interval_seconds,
                "healthy_threshold": check.healthy_threshold,
                "unhealthy_threshold": check.unhealthy_threshold,
            },
        }
        try:
            answer = self._client.request("POST", _path(spec.region), json=body, resource=name)
        except Conflict:
            answer = self._client.request("PUT", _path(spec.region, name), json=body, resource=name)
        return self._to_model(answer or {})

    def get(self, region: str, name: str) -> LoadBalancer:
        name = cloud_name(name)
        return self._to_model(self._client.get(_path(region, name), resource=name))

    def list(self, region: str | None = None) -> list[LoadBalancer]:
        return [
            self._to_model(item)
            for where in ((region,) if region else self._regions)
            for item in self._client.get(_path(where)).get("items", [])
        ]

    def delete(self, region: str, name: str) -> None:
        name = cloud_name(name)
        with suppress(NotFound):  # already gone: delete is idempotent
            self._client.request("DELETE", _path(region, name), resource=name)

    def _to_model(self, item: Json) -> LoadBalancer:
        try:
            return LoadBalancer(
                name=item["name"],
                account=self._account,
                region=item["region"],
                protocol=item["protocol"],
                port=item["port"],
                endpoint=item.get("dns_name"),
                server_groups=tuple(t["server_group"] for t in item.get("targets", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise unexpected_answer(
                f"unreadable load balancer in the cloud's answer ({type(exc).__name__})",
                account=self._account,
            ) from exc


class ExampleTraffic(Traffic):
    """Weighted traffic between the server groups behind one account's load balancers."""

    def __init__(
        self, client: ExampleClient, account: str, server_groups: ExampleServerGroups
    ) -> None:
        self._client = client
        self._account = account
        self._server_groups = server_groups  # weights put groups in and out of service

    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        """Give each named group its weight on every load balancer that targets it, and put in
        traffic exactly the groups with a weight above 0: one list call, one weights update per
        load balancer, and an enable or disable for each group whose state must change.

        A weights update describes a load balancer's whole split (its other targets get 0), as
        an example cloud load balancer serves one cluster, like an ALB listener rule. Nothing is
        changed unless every weighted group is behind a load balancer."""
        wanted = dict(weights.weights)
        updates: list[tuple[str, dict[str, int]]] = []  # load balancer -> its new weights
        enabled: dict[str, bool] = {}  # every target of those load balancers -> enabled now
        for lb, targets in self._targets(region):
            mine = {t.group: wanted[t.group] for t in targets if t.group in wanted}
            if mine:
                updates.append((lb, mine))
                enabled.update({t.group: t.enabled for t in targets})
        unrouted = sorted(g for g, w in wanted.items() if w > 0 and g not in enabled)
        if unrouted:
            raise InvalidSpec(
                f"no load balancer in {region} targets {', '.join(unrouted)}: weights need one",
                provider=PROVIDER,
                account=self._account,
                resource=",".join(unrouted),
            )
        for lb, mine in updates:
            path = _path(region, lb) + "/weights"
            self._client.request("PUT", path, json={"weights": mine}, resource=lb)
        for group, was_enabled in enabled.items():
            serves = wanted.get(group, 0) > 0
            if serves and not was_enabled:
                self._server_groups.enable(region, group)
            elif was_enabled and not serves:
                self._server_groups.disable(region, group)

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        """The traffic shares the cloud reports, in whole percent summing to 100: the named
        groups, and any other group behind the same load balancer that receives traffic."""
        shares: dict[str, float] = dict.fromkeys(server_groups, 0.0)
        for _, targets in sorted(self._targets(region), key=lambda lb: lb[0]):
            if not shares.keys() & {t.group for t in targets}:
                continue
            for t in targets:
                if t.group in shares or t.share > 0:
                    shares[t.group] = t.share
            break  # the groups' first load balancer: a cluster's groups share one split
        if sum(shares.values()) <= 0:
            raise Conflict(
                f"none of {', '.join(server_groups)} receives traffic in {region}",
                provider=PROVIDER,
                account=self._account,
            )
        return TrafficWeights(weights=_percentages(shares))

    def _targets(self, region: str) -> Sequence[tuple[str, Sequence[_Target]]]:
        """Every load balancer of the region with its targets, from one list call."""
        answer = self._client.get(_path(region))
        try:
            return [
                (
                    item["name"],
                    [
                        _Target(t["server_group"], bool(t["enabled"]), float(t["share"]))
                        for t in item["targets"]
                    ],
                )
                for item in answer.get("items", [])
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise unexpected_answer(
                f"unreadable load balancer targets in the cloud's answer ({type(exc).__name__})",
                account=self._account,
            ) from exc


class _Target(NamedTuple):
    group: str
    enabled: bool
    share: float  # percent of the load balancer's traffic, as the cloud reports it


def _percentages(shares: dict[str, float]) -> dict[str, int]:
    """Whole percentages summing to exactly 100 (largest remainder), in the order given."""
    total = sum(shares.values())
    exact = {g: 100 * s / total for g, s in shares.items()}
    floors = {g: math.floor(v) for g, v in exact.items()}
    by_remainder = sorted(exact, key=lambda g: exact[g] - floors[g], reverse=True)
    for g in by_remainder[: 100 - sum(floors.values())]:
        floors[g] += 1
    return floors
