"""Traffic: the cluster's alias and its routing weights.

The alias (``settings.alias``, ``live`` by default) routes to one version, or to two with
``RoutingConfig.AdditionalVersionWeights`` (Lambda's limit, hence ``max_weighted_groups=2``).
A group is enabled exactly when the alias gives its version a weight above 0. Every change is one
``UpdateAlias`` (or the first ``CreateAlias``), so a switch — the core's rollback included — is
atomic: no moment where both or neither version serve unless asked.

- enable: the alias is created for the version; if it routes to one other version, the two
  share it 50/50 (both in traffic, as two groups behind one load balancer do elsewhere); if it
  already routes to two others, Conflict.
- disable: the version's weight moves to the other version; the alias is never left empty, so
  disabling the only version it routes to is a Conflict (enable another one first).
- weights: up to two versions above 0, in whole percent; the larger share is the primary.

Weights are stored as fractions (``0.8``) and read back rounded to whole percent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudrig import Conflict, InvalidSpec, NotFound, TrafficWeights
from cloudrig_aws import ClientFactory
from cloudrig_lambda.functions import Functions
from cloudrig_lambda.naming import function_name
from cloudrig_lambda.target_groups import TAG_LBS, TargetGroups


class Traffic:
    def __init__(self, factory: ClientFactory, alias: str) -> None:
        self._factory = factory
        self.alias = alias
        self.functions: Functions | None = None  # set by the provider (mutual reference)
        self.target_groups: TargetGroups | None = None

    def _client(self, region: str) -> Any:
        return self._factory.client("lambda", region)

    # -- reading ---------------------------------------------------------------------------------
    def _alias(self, region: str, function: str, fresh: bool = False) -> dict[str, Any] | None:
        """The alias, through the limiter's short read cache (``fresh`` for reads that decide
        a write; the core's decision reads are fresh anyway)."""
        client = self._client(region)

        def load() -> dict[str, Any] | None:
            try:
                alias: dict[str, Any] = client.call(
                    "get_alias",
                    resource=f"{function}:{self.alias}",
                    FunctionName=function,
                    Name=self.alias,
                )
            except NotFound:
                return None
            return alias

        found: dict[str, Any] | None = client.read(("alias", function), load, fresh=fresh)
        return found

    def alias_exists(self, region: str, function: str) -> bool:
        return self._alias(region, function, fresh=True) is not None

    def version_weights(self, region: str, function: str, fresh: bool = False) -> dict[str, int]:
        """Version number → percent of the alias's traffic (only versions above 0)."""
        alias = self._alias(region, function, fresh)
        return _weights_of(alias) if alias else {}

    def serving_versions(self, region: str, function: str) -> list[str]:
        return list(self.version_weights(region, function))

    def get_weights(self, region: str, names: Sequence[str]) -> TrafficWeights:
        functions = {function_name(n) for n in names}
        if len(functions) != 1:
            raise InvalidSpec(f"{list(names)} are not groups of one cluster (one function)")
        function = functions.pop()
        numbers = {n: self._number(region, n) for n in names}
        weights = self.version_weights(region, function)
        return TrafficWeights.model_construct(
            weights={n: weights.get(numbers[n], 0) for n in names}
        )

    def _number(self, region: str, name: str) -> str:
        assert self.functions is not None
        return self.functions.require(region, name).number

    # -- writing ---------------------------------------------------------------------------------
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        functions = {function_name(n) for n in weights.weights}
        if len(functions) != 1:
            raise InvalidSpec(f"{sorted(weights.weights)} are not groups of one cluster")
        function = functions.pop()
        shares = {self._number(region, n): w for n, w in weights.weights.items() if w > 0}
        if len(shares) > 2:
            raise InvalidSpec("a Lambda alias routes to two versions at most")
        self._write(region, function, shares)

    def enable(self, region: str, name: str) -> None:
        function, number = function_name(name), self._number(region, name)
        current = self.version_weights(region, function, fresh=True)
        if number in current:
            return
        if len(current) >= 2:
            raise Conflict(f"the alias of {function} already routes to two versions", resource=name)
        if not current:
            self._write(region, function, {number: 100})
            return
        (other,) = current
        self._write(region, function, {other: 50, number: 50})

    def disable(self, region: str, name: str) -> None:
        function, number = function_name(name), self._number(region, name)
        current = self.version_weights(region, function, fresh=True)
        if number not in current:
            return
        rest = {v: w for v, w in current.items() if v != number}
        if not rest:
            raise Conflict(
                f"{name} is the only version the alias {self.alias} routes to; enable another "
                "group first",
                resource=name,
            )
        self._write(region, function, {v: 100 for v in rest})

    def _write(self, region: str, function: str, shares: Mapping[str, int]) -> None:
        primary = max(shares, key=lambda v: (shares[v], int(v)))
        extra = {v: round(w / 100, 2) for v, w in shares.items() if v != primary}
        routing = {"AdditionalVersionWeights": extra}
        client = self._client(region)
        client.invalidate(("alias", function))
        try:  # an update first: the alias exists but on a cluster's first enable
            client.call(
                "update_alias",
                resource=f"{function}:{self.alias}",
                FunctionName=function,
                Name=self.alias,
                FunctionVersion=primary,
                RoutingConfig=routing,
            )
            client.invalidate(("alias", function))
            return
        except NotFound:
            pass
        answer = client.call(
            "create_alias",
            resource=f"{function}:{self.alias}",
            FunctionName=function,
            Name=self.alias,
            FunctionVersion=primary,
            RoutingConfig=routing,
        )
        client.invalidate(("alias", function))
        if self.target_groups is not None:
            alias_arn = answer["AliasArn"]
            function_arn = alias_arn.rsplit(":", 1)[0]
            tags = client.call("list_tags", Resource=function_arn).get("Tags", {})
            lbs = [lb for lb in tags.get(TAG_LBS, "").split(",") if lb]
            if lbs:
                self.target_groups.attach_alias(region, alias_arn, lbs)


def _weights_of(alias: Mapping[str, Any]) -> dict[str, int]:
    extra = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    weights = {str(v): round(float(w) * 100) for v, w in extra.items()}
    primary = str(alias["FunctionVersion"])
    weights[primary] = 100 - sum(weights.values())
    return {v: w for v, w in weights.items() if w > 0}
