"""What ``cloudrig serve`` is told: where to listen, who may change things, and the bind rule.

Tokens are secret references (``env:NAME`` or ``file:PATH``, like every secret of the
configuration), resolved into ``SecretStr``s: they are never logged, rendered or put in an error.
Each token names the principal it stands for (``alice=env:ALICE_TOKEN``); that principal is what
the ``cloudrig_authorize`` hook is asked about for every change made from the page.
"""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cloudrig import ConfigError
from cloudrig.provider import Secret

DEFAULT_PRINCIPAL = "web"
LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class ServeSettings(BaseModel):
    """The web view's settings (``cloudrig serve`` options)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    allow_remote: bool = False
    """Bind beyond the loopback interface (needs a token too)."""
    tokens: dict[str, Secret] = Field(default_factory=dict)
    """Principal name -> its token (a secret reference)."""
    trusted_header: str | None = None
    """A header an authenticating proxy in front sets to the user's name (``X-Forwarded-User``);
    believed only because it was configured, so only behind such a proxy."""
    apps: tuple[str, ...] = ()
    """Applications whose clusters the overview lists besides those the state store knows."""
    poll_interval: float = Field(default=0.5, gt=0, le=30)
    """How often live pages re-read the state store (seconds)."""

    @field_validator("trusted_header")
    @classmethod
    def _header_name(cls, value: str | None) -> str | None:
        if value is not None and (not value or not all(c.isalnum() or c == "-" for c in value)):
            raise ValueError("must be a header name (letters, digits and '-')")
        return value

    @property
    def loopback(self) -> bool:
        """True when the server listens on the loopback interface only."""
        return is_loopback(self.host)

    @property
    def authenticates(self) -> bool:
        """True when some way to name a principal is configured."""
        return bool(self.tokens) or self.trusted_header is not None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_token_options(options: list[str]) -> dict[str, str]:
    """``[PRINCIPAL=]REFERENCE`` options into principal -> reference (resolved by the model)."""
    tokens: dict[str, str] = {}
    for option in options:
        name, sep, reference = option.partition("=")
        if not sep or ":" in name:  # no principal given: ``env:NAME`` itself has no '='
            name, reference = DEFAULT_PRINCIPAL, option
        if not name:
            raise ConfigError([("--token", "the principal before '=' is empty")])
        if name in tokens:
            raise ConfigError([("--token", f"principal {name!r} is given two tokens")])
        tokens[name] = reference
    return tokens


def load_settings(**values: object) -> ServeSettings:
    """The validated settings, then the bind rule: one ``ConfigError`` naming what is wrong (never
    a token's value)."""
    try:
        settings = ServeSettings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            field = ".".join(str(p) for p in err["loc"])
            problems.append((f"serve option {field!r}", err["msg"]))
        raise ConfigError(problems) from None
    check_bind(settings)
    return settings


def check_bind(settings: ServeSettings) -> None:
    """Listening beyond localhost needs both ``--allow-remote`` and a token: anyone who can reach
    the port could otherwise drain deployments or approve a gate."""
    if settings.loopback:
        return
    missing = []
    if not settings.allow_remote:
        missing.append("--allow-remote")
    if not settings.tokens:
        missing.append("a token (--token PRINCIPAL=env:NAME)")
    if missing:
        raise ConfigError(
            [
                (
                    "--host",
                    f"{settings.host} is not a loopback address: binding beyond localhost needs "
                    + " and ".join(missing),
                )
            ]
        )
