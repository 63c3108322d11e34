"""``LambdaProvider``: one account's nouns, composed, and ``check``.

Builds the account's gated client factory (``cloudrig_aws``'s public API) and one object per
noun: server groups (``server_groups``), load balancers (``target_groups``), security groups
(``cloudrig_aws.VpcSecurityGroups``) and traffic (``traffic``).
"""

from __future__ import annotations

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_aws import ClientFactory, VpcSecurityGroups, map_error
from cloudrig_lambda.functions import Functions
from cloudrig_lambda.naming import NAMING
from cloudrig_lambda.provisioned import ProvisionedConcurrency
from cloudrig_lambda.server_groups import LambdaServerGroups
from cloudrig_lambda.settings import LambdaAccountSettings, LambdaSecurityGroupSettings
from cloudrig_lambda.target_groups import LambdaLoadBalancers
from cloudrig_lambda.traffic import LambdaTraffic


class LambdaProvider(Provider[LambdaAccountSettings]):
    """AWS Lambda for one account: published versions behind each function's alias."""

    server_groups: LambdaServerGroups
    load_balancers: LambdaLoadBalancers
    security_groups: VpcSecurityGroups[LambdaSecurityGroupSettings]
    traffic: LambdaTraffic

    def __init__(self, context: ProviderContext[LambdaAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        regions = context.settings.regions
        self.functions = Functions(self.clients, context.clock)
        self.load_balancers = LambdaLoadBalancers(self.clients, regions=regions)
        self.security_groups = VpcSecurityGroups(
            self.clients, naming=NAMING, regions=regions, service="Lambda"
        )
        self.traffic = LambdaTraffic(
            self.clients, context.settings.alias, self.functions, self.load_balancers
        )
        self.server_groups = LambdaServerGroups(
            self.functions,
            self.traffic,
            self.security_groups,
            ProvisionedConcurrency(self.clients),
            account=context.account,
            regions=regions,
            logger=context.logger,
            clock=context.clock,
            poll_interval=context.settings.health_poll_interval,
        )

    def check(self) -> CheckResult:
        """One cheap read: lambda:ListFunctions with one item (reachability and permission).
        (GetAccountSettings would say more, but moto does not implement it.)"""
        region = self.settings.regions[0]
        self.clients.client("lambda", region).call("list_functions", MaxItems=1)
        return CheckResult(
            identity=f"account {self.clients.account_id}",
            detail=f"regions: {', '.join(self.settings.regions)}; alias {self.settings.alias}",
        )
