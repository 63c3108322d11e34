"""Base models of the settings a provider declares, and secret references in configuration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


def _resolve_secret(value: Any) -> Any:
    """Resolve ``env:NAME`` or ``file:PATH`` into a ``SecretStr``. Messages never echo the value:
    a literal secret pasted by mistake must not end up in an error or a log."""
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a secret reference 'env:NAME' or 'file:PATH'")
    scheme, sep, ref = value.partition(":")
    if sep and scheme == "env" and ref:
        if ref not in os.environ:
            raise ValueError(f"secret reference env:{ref}: environment variable {ref} is not set")
        return SecretStr(os.environ[ref])
    if sep and scheme == "file" and ref:
        path = Path(ref).expanduser()
        try:
            return SecretStr(path.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ValueError(f"secret reference file:{ref}: {exc.strerror}") from None
    raise ValueError(
        "must be a secret reference 'env:NAME' or 'file:PATH' (literal secrets are not accepted "
        "in configuration)"
    )


Secret = Annotated[SecretStr, BeforeValidator(_resolve_secret)]
"""A credential in account settings: given as ``env:NAME`` or ``file:PATH``, held as ``SecretStr``."""


class AccountSettings(BaseModel):
    """Base of every provider's account settings model: unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    regions: tuple[str, ...] = Field(min_length=1, description="Regions this account deploys to")


class ProviderSettings(BaseModel):
    """Base of a provider's spec-settings blocks (server groups, load balancers, security groups)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoSettings(ProviderSettings):
    """For specs of a provider that takes no provider-specific settings."""
