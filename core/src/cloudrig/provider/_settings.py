"""Base models of the settings a provider declares.

Both bases defer building their validators (``defer_build``), and so do the providers' subclasses,
which inherit the configuration: a plugin module imports its settings models to name them in its
descriptor, and listing providers must not pay for validators only a configuration needs. A
settings model is built the first time it validates (or gives its JSON schema), once per process.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountSettings(BaseModel):
    """Base of every provider's account settings model: unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    regions: tuple[str, ...] = Field(min_length=1, description="Regions this account deploys to")


class ProviderSettings(BaseModel):
    """Base of a provider's spec-settings blocks (server groups, load balancers, security groups)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class NoSettings(ProviderSettings):
    """For specs of a provider that takes no provider-specific settings."""
