"""Traffic: the cluster's alias and its routing weights.

The alias (``settings.alias``, ``live`` by default) routes to one version, or to two with
``RoutingConfig.AdditionalVersionWeights`` (Lambda's limit, hence ``max_weighted_groups=2``).
A group is enabled exactly when the alias gives its version a weight above 0 (enabling and
disabling a group are the server groups' operations, written through ``route`` here). Every change
is one ``UpdateAlias`` (or the first ``CreateAlias``), so a switch — the core's rollback included —
is atomic: no moment where both or neither version serve unless asked. The write's answer is the
alias as it now is: it is put into the limiter's read cache, so nothing reads it back.

Weights: up to two versions above 0, in whole percent; the larger share is the primary. They are
stored as fractions (``0.8``) and read back rounded to whole percent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudrig import InvalidSpec, NotFound, TrafficWeights
from cloudrig.provider import Traffic
from cloudrig_aws import ClientFactory, tag_values
from cloudrig_lambda.functions import Functions
from cloudrig_lambda.naming import function_name
from cloudrig_lambda.target_groups import TAG_LBS, LambdaLoadBalancers


class LambdaTraffic(Traffic):
    """The ``traffic`` noun: each cluster's alias. A new alias is registered in the load
    balancers (target groups) its groups were deployed behind."""

    def __init__(
        self,
        factory: ClientFactory,
        alias: str,
        functions: Functions,
        load_balancers: LambdaLoadBalancers,
    ) -> None:
        self._factory = factory
        self.alias = alias
        self._functions = functions
        self._load_balancers = load_balancers

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

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        functions = {function_name(n) for n in server_groups}
        if len(functions) != 1:
            raise InvalidSpec(f"{list(server_groups)} are not groups of one cluster (one function)")
        function = functions.pop()
        numbers = {n: self._functions.number(region, n) for n in server_groups}
        weights = self.version_weights(region, function)
        return TrafficWeights.model_construct(
            weights={n: weights.get(numbers[n], 0) for n in server_groups}
        )

    # -- writing ---------------------------------------------------------------------------------
    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        functions = {function_name(n) for n in weights.weights}
        if len(functions) != 1:
            raise InvalidSpec(f"{sorted(weights.weights)} are not groups of one cluster")
        function = functions.pop()
        shares = {self._functions.number(region, n): w for n, w in weights.weights.items() if w > 0}
        if len(shares) > 2:
            raise InvalidSpec("a Lambda alias routes to two versions at most")
        self.route(region, function, shares)

    def route(self, region: str, function: str, shares: Mapping[str, int]) -> None:
        """Route the alias of ``function`` to these versions (number → percent), creating it on
        the cluster's first enable."""
        primary = max(shares, key=lambda v: (shares[v], int(v)))
        extra = {v: round(w / 100, 2) for v, w in shares.items() if v != primary}
        routing = {"AdditionalVersionWeights": extra}
        client = self._client(region)
        key = ("alias", function)
        write = {
            "FunctionName": function,
            "Name": self.alias,
            "FunctionVersion": primary,
            "RoutingConfig": routing,
        }
        resource = f"{function}:{self.alias}"
        client.invalidate(key)  # no answer loaded before the write serves this caller after it
        try:
            try:  # an update first: the alias exists but on a cluster's first enable
                answer, created = client.call("update_alias", resource=resource, **write), False
            except NotFound:
                answer, created = client.call("create_alias", resource=resource, **write), True
        except BaseException:
            client.invalidate(key)  # the outcome is unknown: the next read asks the cloud
            raise
        self._settled(client, key, answer)
        if not created:
            return
        alias_arn = answer["AliasArn"]
        function_arn = alias_arn.rsplit(":", 1)[0]
        tags = client.call("list_tags", Resource=function_arn).get("Tags", {})
        lbs = tag_values.decode_list(tags.get(TAG_LBS, ""))
        if lbs:
            self._load_balancers.attach_alias(region, alias_arn, lbs)

    @staticmethod
    def _settled(client: Any, key: tuple[str, str], answer: dict[str, Any]) -> None:
        """``UpdateAlias`` and ``CreateAlias`` answer with the alias as it now is (what
        ``GetAlias`` says): it goes into the read cache instead of being read back."""
        alias = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        if alias.get("FunctionVersion"):
            client.put(key, alias)
        else:
            client.invalidate(key)


def _weights_of(alias: Mapping[str, Any]) -> dict[str, int]:
    extra = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    weights = {str(v): round(float(w) * 100) for v, w in extra.items()}
    primary = str(alias["FunctionVersion"])
    weights[primary] = 100 - sum(weights.values())
    return {v: w for v, w in weights.items() if w > 0}
