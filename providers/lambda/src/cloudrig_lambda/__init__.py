"""cloudrig provider for AWS Lambda, built on ``cloudrig-aws``'s public API.

Importing this package loads nothing else; ``LambdaProvider`` (which needs boto3) loads on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudrig.provider import lazy_exports

if TYPE_CHECKING:
    from cloudrig_lambda.provider import LambdaProvider
    from cloudrig_lambda.settings import (
        LambdaAccountSettings,
        LambdaFunctionSettings,
        LambdaLoadBalancerSettings,
        LambdaSecurityGroupSettings,
    )

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "LambdaAccountSettings",
    "LambdaFunctionSettings",
    "LambdaLoadBalancerSettings",
    "LambdaProvider",
    "LambdaSecurityGroupSettings",
]
