"""cloudrig provider for AWS Lambda, built on ``cloudrig-aws``'s public API.

Importing this package loads the settings only; ``LambdaProvider`` (which needs boto3) loads on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cloudrig_lambda.settings import (
    LambdaAccountSettings,
    LambdaFunctionSettings,
    LambdaLoadBalancerSettings,
    LambdaSecurityGroupSettings,
)

if TYPE_CHECKING:
    from cloudrig_lambda.provider import LambdaProvider

__all__ = [
    "LambdaAccountSettings",
    "LambdaFunctionSettings",
    "LambdaLoadBalancerSettings",
    "LambdaProvider",
    "LambdaSecurityGroupSettings",
]


def __getattr__(name: str) -> Any:
    if name == "LambdaProvider":
        return importlib.import_module("cloudrig_lambda.provider").LambdaProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
