"""The exception hierarchy: every error cloudrig raises, readable at a glance.

    CloudrigError
    ├── ConfigError             the configuration or an account's settings are invalid
    ├── PluginError             a plugin failed to load, or a provider breaks the contract
    │   └── ContractVersionError  written for a contract version this core does not implement
    ├── AuthorizationDenied     the authorization hook refused a mutating operation
    ├── NotSupported            the provider does not offer this operation (see its capabilities)
    └── ProviderError           a provider operation failed; providers raise only these
        ├── NotFound
        ├── Conflict            exists with other identity / state, name collision, cluster full
        ├── Throttled           the cloud asked us to slow down (``retry_after`` when it said)
        ├── InvalidSpec         the cloud or the provider rejected what was asked
        ├── PermissionDenied    the cloud refused the credentials or the action
        └── ProviderFailure     anything else: 5xx, timeouts, unexpected answers

Providers map every cloud SDK exception to one of the ``ProviderError`` types, keeping the original as
``__cause__``; the conformance kit checks that nothing else escapes.
"""

from __future__ import annotations


class CloudrigError(Exception):
    """Base of every error cloudrig raises."""


class ConfigError(CloudrigError):
    """The configuration is invalid. ``problems`` lists each as ``(location, message)``."""

    def __init__(self, problems: list[tuple[str, str]], *, source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"{loc}: {msg}" if loc else msg for loc, msg in problems]
        if len(lines) == 1:
            text = f"invalid configuration{where}: {lines[0]}"
        else:
            text = f"invalid configuration{where}:\n" + "\n".join(f"  - {line}" for line in lines)
        super().__init__(text)


class PluginError(CloudrigError):
    """A plugin could not be loaded or its provider does not fulfil the contract."""


class ContractVersionError(PluginError):
    """A provider was written for a contract version this core does not implement."""


class AuthorizationDenied(CloudrigError):
    """The authorization hook denied a mutating operation."""

    def __init__(
        self, principal: str | None, action: str, account: str, resource: str, reason: str
    ):
        self.principal = principal
        self.action = action
        self.account = account
        self.resource = resource
        self.reason = reason
        who = principal or "anonymous principal"
        super().__init__(f"{who} may not {action} {resource!r} in account {account!r}: {reason}")


class NotSupported(CloudrigError):
    """The provider does not offer this operation; its capabilities say so."""


class ProviderError(CloudrigError):
    """A provider operation failed. Carries where it happened when known."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        account: str | None = None,
        resource: str | None = None,
    ) -> None:
        self.provider = provider
        self.account = account
        self.resource = resource
        super().__init__(message)


class NotFound(ProviderError):
    """The resource does not exist."""


class Conflict(ProviderError):
    """The resource exists with another identity or in a state that forbids the operation."""


class Throttled(ProviderError):
    """The cloud throttled the request. ``retry_after`` is the delay it asked for, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **where: str | None):
        self.retry_after = retry_after
        super().__init__(message, **where)


class InvalidSpec(ProviderError):
    """What was asked is invalid for this provider or was rejected by the cloud as invalid."""


class PermissionDenied(ProviderError):
    """The cloud refused the credentials or the action."""


class ProviderFailure(ProviderError):
    """Any other failure: server errors, timeouts, unexpected answers."""
