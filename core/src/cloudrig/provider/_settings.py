"""Base models of the settings a provider declares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountSettings(BaseModel):
    """Base of every provider's account settings model: unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    regions: tuple[str, ...] = Field(min_length=1, description="Regions this account deploys to")


class ProviderSettings(BaseModel):
    """Base of a provider's spec-settings blocks (server groups, load balancers, security groups)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoSettings(ProviderSettings):
    """For specs of a provider that takes no provider-specific settings."""
