"""Provider descriptors: what a plugin says about a provider without importing its cloud SDK."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._naming_policy import NamingPolicy
from cloudrig.provider._settings import AccountSettings, NoSettings, ProviderSettings


class ProviderDescriptor(BaseModel):
    """A provider as listed: cheap to build, so listing providers imports no cloud SDK.

    The settings models must live in a module that imports no cloud SDK; the implementation is
    named as ``"module:Class"`` and imported only when an account is connected (or by ``doctor``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    contract_version: str = Field(pattern=r"^\d+\.\d+$")
    description: str = ""
    capabilities: Capabilities
    naming: NamingPolicy
    account_settings: type[AccountSettings]
    spec_settings: type[ProviderSettings] = NoSettings
    load_balancer_settings: type[ProviderSettings] = NoSettings
    security_group_settings: type[ProviderSettings] = NoSettings
    implementation: str

    @field_validator("implementation")
    @classmethod
    def _module_class(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.]+:[\w.]+", value):
            raise ValueError("implementation must be 'package.module:ClassName'")
        return value
