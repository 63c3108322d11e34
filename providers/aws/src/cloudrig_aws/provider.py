"""``AwsProvider``: the contract's nouns, one module each, composed for one account.

This class holds no logic of its own: it builds the account's client factory (with the limiter
attached), the target groups the nouns share, and the nouns.
"""

from __future__ import annotations

from cloudrig import CheckResult
from cloudrig.provider import Provider, ProviderContext
from cloudrig_aws.clients import ClientFactory
from cloudrig_aws.errors import map_error
from cloudrig_aws.load_balancers import AwsLoadBalancers
from cloudrig_aws.security_groups import AwsSecurityGroups
from cloudrig_aws.server_groups import AwsServerGroups
from cloudrig_aws.settings import AwsAccountSettings
from cloudrig_aws.target_groups import TargetGroups
from cloudrig_aws.traffic import AwsTraffic


class AwsProvider(Provider[AwsAccountSettings]):
    """AWS EC2 for one account: Auto Scaling groups behind ALB/NLB target groups."""

    server_groups: AwsServerGroups
    load_balancers: AwsLoadBalancers
    security_groups: AwsSecurityGroups
    traffic: AwsTraffic

    def __init__(self, context: ProviderContext[AwsAccountSettings]) -> None:
        super().__init__(context)
        try:
            self.clients = ClientFactory(
                context.settings, context.limiter, account=context.account, logger=context.logger
            )
        except Exception as exc:  # a profile that does not exist, an AssumeRole refused…
            raise map_error(exc, "connecting", account=context.account) from exc
        self.target_groups = TargetGroups(self.clients)
        self.server_groups = AwsServerGroups(self.clients, self.target_groups)
        self.traffic = self.server_groups.traffic
        self.load_balancers = AwsLoadBalancers(self.clients, self.target_groups)
        self.security_groups = AwsSecurityGroups(self.clients)

    def check(self) -> CheckResult:
        """One cheap read: sts:GetCallerIdentity (the account and principal of the credentials)."""
        who = self.clients.caller_identity()
        return CheckResult(
            identity=f"{who.get('Arn', '?')} (account {who.get('Account', '?')})",
            detail=f"regions: {', '.join(self.settings.regions)}",
        )
