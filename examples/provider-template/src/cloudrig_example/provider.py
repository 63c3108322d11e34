"""``ExampleProvider``: the example cloud for one account, composed of one object per noun.

The contract's operations are the methods of the nouns (``cloudrig.provider.ServerGroups``,
``LoadBalancers``, ``SecurityGroups``, ``Traffic``); each noun module implements its class
directly. This class only builds the account's HTTP client, hands it to the nouns, and declares
them as annotations so the core can check the composition before any account is connected.
Only ``check`` is an operation of the provider itself.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_example._client import ExampleClient, classify
from cloudrig_example.load_balancers import ExampleLoadBalancers, ExampleTraffic
from cloudrig_example.security_groups import ExampleSecurityGroups
from cloudrig_example.server_groups import ExampleServerGroups
from cloudrig_example.settings import ExampleAccountSettings


class ExampleProvider(Provider[ExampleAccountSettings]):
    """The example cloud, for one account."""

    server_groups: ExampleServerGroups
    load_balancers: ExampleLoadBalancers
    security_groups: ExampleSecurityGroups
    traffic: ExampleTraffic  # weights on the load balancers (capabilities: traffic_split EXACT)

    def __init__(self, context: ProviderContext[ExampleAccountSettings]) -> None:
        super().__init__(context)
        # The cloud's own identity keys the budget: every account on this endpoint shares it.
        gate = context.limiter.gate(
            cloud="example", identity=str(context.settings.endpoint), classify=classify
        )
        self.client = ExampleClient(
            context.settings, account=context.account, logger=context.logger, gate=gate
        )
        account, regions = context.account, context.settings.regions
        self.server_groups = ExampleServerGroups(self.client, account, regions)
        self.load_balancers = ExampleLoadBalancers(self.client, account, regions)
        self.security_groups = ExampleSecurityGroups(self.client, account, regions)
        self.traffic = ExampleTraffic(self.client, account, self.server_groups)

    def check(self) -> CheckResult:
        """One cheap read: who the token belongs to, and what it may do."""
        answer = self.client.get("/whoami")
        host = urlsplit(str(self.settings.endpoint)).netloc
        return CheckResult(
            identity=f"{answer.get('principal', '?')}@{host}",
            detail=f"token scope: {answer.get('scope', 'unknown')}",
        )

    def close(self) -> None:
        self.client.close()
