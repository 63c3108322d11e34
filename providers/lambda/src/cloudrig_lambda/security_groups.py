"""Security groups: the EC2 security groups a function's VPC configuration names.

``cloudrig_aws.VpcSecurityGroups`` with this provider's naming policy and settings block.
"""

from __future__ import annotations

from cloudrig_aws import ClientFactory, VpcSecurityGroups
from cloudrig_lambda.naming import NAMING
from cloudrig_lambda.settings import LambdaSecurityGroupSettings


class SecurityGroups(VpcSecurityGroups):
    def __init__(self, factory: ClientFactory) -> None:
        super().__init__(
            factory, naming=NAMING, settings_model=LambdaSecurityGroupSettings, service="Lambda"
        )
