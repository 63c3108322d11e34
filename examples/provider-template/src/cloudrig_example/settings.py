"""The provider's settings models: an account's, and the provider blocks of specs.

This module imports only pydantic and cloudrig, never the HTTP client: the descriptor names these
models, so ``cloudrig providers``, config validation and ``cloudrig schema`` load them without
pulling in anything that talks to the cloud.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field

from cloudrig.provider import AccountSettings, ProviderSettings, Secret


class ExampleAccountSettings(AccountSettings):
    """One account of the example cloud, as written in ``cloudrig.yaml``::

    accounts:
      example-dev:
        provider: example
        regions: [eu-west]
        endpoint: http://127.0.0.1:8700
        token: env:EXAMPLE_TOKEN        # or file:/run/secrets/example-token
    """

    endpoint: AnyHttpUrl = Field(description="Base URL of the example cloud's API")
    token: Secret = Field(description="Bearer token, as 'env:NAME' or 'file:PATH'")
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Per-request timeout (connect, read, write)"
    )


class ExampleServerGroupSettings(ProviderSettings):
    """The ``settings`` block of a server group spec on the example cloud."""

    instance_type: Literal["small", "medium", "large"] = Field(
        default="small", description="Size of every instance of the group"
    )


class ExampleLoadBalancerSettings(ProviderSettings):
    """The ``settings`` block of a load balancer spec on the example cloud."""

    algorithm: Literal["round-robin", "least-connections"] = Field(
        default="round-robin", description="How the load balancer picks an instance"
    )
