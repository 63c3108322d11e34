"""cloudrig provider for AWS EC2, and the AWS foundation other AWS-based providers build on.

Public API: the settings models (``AwsAccountSettings`` and the spec blocks), the client factory
(``ClientFactory``, ``AwsClient``, ``attach`` — boto3 clients with cloudrig's limiter and retry
policy attached through botocore's events), the error mapping (``classify``, ``map_error``), and
``AwsProvider``, and ``VpcSecurityGroups`` (EC2 security groups for ECS tasks and Lambda
functions). Importing this package loads nothing else; names that need boto3 load on
first use, so listing providers and validating configuration never import the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_aws.clients import AwsClient, ClientFactory, attach, call_class
    from cloudrig_aws.errors import THROTTLING_CODES, classify, map_error
    from cloudrig_aws.provider import AwsProvider
    from cloudrig_aws.settings import (
        AwsAccountSettings,
        AwsLoadBalancerSettings,
        AwsSecurityGroupSettings,
        AwsServerGroupSettings,
        VpcSettings,
    )
    from cloudrig_aws.vpc_security_groups import VpcSecurityGroups

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "THROTTLING_CODES",
    "AwsAccountSettings",
    "AwsClient",
    "AwsLoadBalancerSettings",
    "AwsProvider",
    "AwsSecurityGroupSettings",
    "AwsServerGroupSettings",
    "ClientFactory",
    "VpcSecurityGroups",
    "VpcSettings",
    "attach",
    "call_class",
    "classify",
    "map_error",
]
