"""Security groups: the EC2 security groups ECS services use (awsvpc).

``cloudrig_aws.VpcSecurityGroups`` with this provider's naming policy and settings block.
"""

from __future__ import annotations

from cloudrig_aws import ClientFactory, VpcSecurityGroups
from cloudrig_ecs.naming import NAMING
from cloudrig_ecs.settings import EcsSecurityGroupSettings


class SecurityGroups(VpcSecurityGroups):
    def __init__(self, factory: ClientFactory) -> None:
        super().__init__(
            factory, naming=NAMING, settings_model=EcsSecurityGroupSettings, service="ECS"
        )
