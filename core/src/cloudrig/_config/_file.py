"""Loading the configuration file and validating every account before any call is made.

    accounts:
      aws-prod:
        provider: aws          # which provider serves the account
        regions: [us-east-1]   # everything else is the provider's account settings model
        role_arn: ...
        secret_access_key: env:AWS_SECRET   # secrets are references, never literals

Errors name the account and the field, and never echo a value (it could be a secret).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cloudrig._config._deployments import DeploymentsConfig
from cloudrig._errors import ConfigError
from cloudrig._plugins._registry import PluginRegistry
from cloudrig.canary._sources import ConfiguredSource
from cloudrig.provider._contract import CONTRACT_VERSION
from cloudrig.provider._settings import AccountSettings
from cloudrig.ratelimit import LimitsConfig

TOP_LEVEL_KEYS = frozenset({"accounts", "limits", "deployments", "metric_sources"})


@dataclass(frozen=True)
class AccountConfig:
    """One account, validated against its provider's settings model."""

    name: str
    provider: str
    settings: AccountSettings


@dataclass(frozen=True)
class Config:
    accounts: dict[str, AccountConfig]
    source: str | None = None
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    """The rate limiter's section (``cloudrig.ratelimit.LimitsConfig``); defaults when absent."""
    deployments: DeploymentsConfig = field(default_factory=DeploymentsConfig)
    """Where deployment state and leases live (``cloudrig.engine.DeploymentsConfig``)."""
    metric_sources: dict[str, ConfiguredSource] = field(default_factory=dict)
    """Where canary metrics come from (``cloudrig.canary``: a metric's ``source``)."""


def read_config(source: str | Path | Mapping[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """Parse YAML or TOML (by extension; YAML otherwise) into a mapping."""
    if source is None:
        return {}, None
    if isinstance(source, Mapping):
        return dict(source), None
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([("", f"cannot read {path}: {exc.strerror}")], source=str(path)) from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            [("", f"not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}")], source=str(path)
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError([("", "the top level must be a mapping")], source=str(path))
    return dict(data), str(path)


def validation_problems(prefix: str, error: ValidationError) -> list[tuple[str, str]]:
    """One ``(location, message)`` per pydantic error, without the offending input value."""
    from cloudrig._config._resources import UNION_TAGS

    problems = []
    for err in error.errors(include_input=False, include_url=False):
        loc = err["loc"]
        # ``load_balancers.0.port``, not ``load_balancers.0.declaration.port``: a union's tag
        # after a list index is pydantic's bookkeeping, not a field the user wrote.
        parts = [
            p
            for i, p in enumerate(loc)
            if not (p in UNION_TAGS and i and isinstance(loc[i - 1], int))
        ]
        field = ".".join(str(part) for part in parts)
        location = f"{prefix}, field {field!r}" if field else prefix
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append((location, message))
    return problems


def load_config(source: str | Path | Mapping[str, Any] | None, registry: PluginRegistry) -> Config:
    """Read and validate the whole configuration; raise one ``ConfigError`` listing every problem."""
    data, origin = read_config(source)
    problems: list[tuple[str, str]] = []
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append((f"top-level key {key!r}", "unknown field"))
    raw_accounts = data.get("accounts") or {}
    if not isinstance(raw_accounts, Mapping):
        problems.append(("accounts", "must be a mapping of account name to settings"))
        raw_accounts = {}
    accounts: dict[str, AccountConfig] = {}
    for name, raw in raw_accounts.items():
        where = f"account {name!r}"
        if not isinstance(raw, Mapping):
            problems.append((where, "must be a mapping with at least 'provider' and 'regions'"))
            continue
        settings = dict(raw)
        provider = settings.pop("provider", None)
        if not isinstance(provider, str) or not provider:
            problems.append((f"{where}, field 'provider'", "missing: name the provider"))
            continue
        if provider not in registry.providers:
            known = ", ".join(sorted(registry.providers)) or "none"
            problems.append(
                (
                    f"{where}, field 'provider'",
                    f"unknown provider {provider!r} (installed: {known})",
                )
            )
            continue
        entry = registry.providers[provider]
        if not entry.compatible:
            problems.append(
                (
                    where,
                    f"provider {provider!r} ({entry.origin}) was written for "
                    f"contract version {entry.descriptor.contract_version}; this cloudrig "
                    f"implements contract version {CONTRACT_VERSION}",
                )
            )
            continue
        try:
            model = entry.descriptor.account_settings.model_validate(settings)
        except ValidationError as exc:
            problems.extend(validation_problems(where, exc))
            continue
        accounts[name] = AccountConfig(name=name, provider=provider, settings=model)
    limits = LimitsConfig()
    try:
        limits = LimitsConfig.model_validate(data.get("limits") or {})
    except ValidationError as exc:
        problems.extend(validation_problems("limits", exc))
    deployments = DeploymentsConfig()
    try:
        deployments = DeploymentsConfig.model_validate(data.get("deployments") or {})
    except ValidationError as exc:
        problems.extend(validation_problems("deployments", exc))
    sources = _metric_sources(data.get("metric_sources"), registry, problems)
    if problems:
        raise ConfigError(problems, source=origin)
    return Config(
        accounts=accounts,
        source=origin,
        limits=limits,
        deployments=deployments,
        metric_sources=sources,
    )


def _metric_sources(
    raw: Any, registry: PluginRegistry, problems: list[tuple[str, str]]
) -> dict[str, ConfiguredSource]:
    """The ``metric_sources`` section: each entry's ``source`` an installed metric source, the
    rest validated with its settings model."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(("metric_sources", "must be a mapping of name to a source's settings"))
        return {}
    sources: dict[str, ConfiguredSource] = {}
    for name, entry in raw.items():
        where = f"metric source {name!r}"
        settings = dict(entry) if isinstance(entry, Mapping) else {}
        kind = settings.pop("source", None)
        installed = registry.metric_sources
        if not isinstance(kind, str) or kind not in installed:
            known = ", ".join(sorted(installed)) or "none"
            problems.append((f"{where}, field 'source'", f"{kind!r} is not an installed metric "
                             f"source (installed: {known})"))  # fmt: skip
            continue
        descriptor = installed[kind]
        try:
            model = descriptor.settings.model_validate(settings)
        except ValidationError as exc:
            problems.extend(validation_problems(where, exc))
            continue
        sources[name] = ConfiguredSource(name, descriptor, model)
    return sources
