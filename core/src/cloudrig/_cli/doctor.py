"""``cloudrig doctor``: what is broken, and why.

Checks, in order: the plugins (loaded, or failed with distribution, entry point and error), each
provider (contract version, then its implementation imported and checked for every operation the
contract and its capabilities require), the configuration when one is given, the Redis servers it
names (the rate limiter's backend, the state store: a ping each, within their timeouts), and with
``--accounts`` each account's ``check()`` (one cheap read against the cloud). Every problem is named
and makes the exit code 1; a missing configuration is not a problem. Settings are never printed, so
credentials cannot leak; account lines show only the identity the cloud reports. ``--json`` prints
the same findings as one JSON document.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudrig._cli._common import JsonOption
from cloudrig._cli._output import registry, stderr, stdout
from cloudrig._errors import CloudrigError, ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from cloudrig._config._file import Config
    from cloudrig._plugins._registry import PluginRegistry
    from cloudrig._rig import Rig
    from cloudrig.ratelimit._options import RedisOptions

DEFAULT_CONFIG = Path("cloudrig.yaml")


class _Report:
    """Prints findings as they are made (account checks can take a moment) and keeps the problems."""

    def __init__(self, console: Console | None) -> None:
        self.console = console  # None: collect for --json, print nothing
        self.problems: list[str] = []
        self.findings: list[dict[str, Any]] = []
        self._section = ""

    def section(self, title: str) -> None:
        from rich.text import Text

        self._section = title
        if self.console is not None:
            self.console.print(Text(title, style="bold underline"))

    def ok(self, text: str) -> None:
        self._line("✓", "green", text, "ok")

    def info(self, text: str) -> None:
        self._line("·", "dim", text, "info")

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self._line("✗", "bold red", text, "problem")

    def _line(self, mark: str, style: str, text: str, kind: str) -> None:
        from rich.text import Text

        self.findings.append({"section": self._section, "result": kind, "message": text})
        if self.console is None:
            return

        line = Text("  ")
        line.append(mark, style=style)
        line.append(f" {text}")
        self.console.print(line, soft_wrap=True)


def doctor(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="FILE",
            envvar="CLOUDRIG_CONFIG",
            help="Also validate this configuration (YAML/TOML); default: ./cloudrig.yaml when "
            "it exists, as for the deployment commands.",
        ),
    ] = None,
    accounts: Annotated[
        bool,
        typer.Option(
            "--accounts", help="Also run each configured account's check (one cheap cloud read)."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check plugins, providers, the configuration and (--accounts) the accounts."""
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    if accounts and config is None:
        raise typer.BadParameter("needs --config FILE", param_hint="--accounts")
    report = _Report(None if as_json else stdout())
    reg = registry(ctx)
    _check_plugins(report, reg)
    _check_providers(report, reg)
    loaded = _check_config(report, reg, config)
    if loaded is not None:
        _check_backends(report, loaded)
    if accounts:
        _check_accounts(report, reg, loaded)
    if as_json:
        import json

        data = {"ok": not report.problems, "problems": report.problems}
        typer.echo(json.dumps({**data, "checks": report.findings}, indent=2))
        if report.problems:
            raise typer.Exit(1)
        return
    _conclude(report.problems)


def _check_plugins(report: _Report, reg: PluginRegistry) -> None:
    report.section("Plugins")
    for name, (dist, version) in sorted(reg.plugins.items()):
        where = f"{dist} {version or ''} (plugin {name})" if dist else f"module {name}"
        provided = sorted(e.name for e in reg.providers.values() if e.plugin == name)
        report.ok(f"{where}: " + (f"providers {', '.join(provided)}" if provided else "hooks only"))
    for failure in reg.failures:
        report.problem(f"plugin {failure}")
    if not reg.plugins and not reg.failures:
        report.info("no plugins installed")


def _check_providers(report: _Report, reg: PluginRegistry) -> None:
    report.section("Providers")
    for name in sorted(reg.providers):
        entry = reg.providers[name]
        try:
            reg.implementation(name)  # checks the contract version first, then every operation
        except CloudrigError as exc:
            report.problem(str(exc))
            continue
        report.ok(
            f"{name} ({entry.origin}): contract {entry.descriptor.contract_version}, "
            f"implementation {entry.descriptor.implementation} complete"
        )
    if not reg.providers:
        report.info("no providers installed")


def _check_config(report: _Report, reg: PluginRegistry, path: Path | None) -> Config | None:
    report.section("Configuration")
    if path is None:
        report.info("no configuration given (--config FILE or ./cloudrig.yaml checks one)")
        return None
    from cloudrig._config._file import load_config

    try:
        loaded = load_config(path, reg)
    except ConfigError as exc:
        for location, message in exc.problems:
            report.problem(f"{path}: {location}: {message}" if location else f"{path}: {message}")
        return None
    names = ", ".join(loaded.accounts) or "none"
    report.ok(f"{path}: {len(loaded.accounts)} account(s) valid ({names})")
    return loaded


def _check_backends(report: _Report, loaded: Config) -> None:
    """The Redis servers the configuration names, pinged once each within their timeouts."""
    servers = []
    if loaded.limits.backend == "redis" and loaded.limits.redis is not None:
        servers.append(("rate limiter backend", loaded.limits.redis))
    if loaded.deployments.store == "redis" and loaded.deployments.redis is not None:
        servers.append(("state store", loaded.deployments.redis))
    if not servers:
        return
    report.section("Backends")
    for what, options in servers:
        error = _ping(options)
        where = f"{what}: redis at {options.url}"
        if error is None:
            report.ok(f"{where} answers")
        else:
            report.problem(f"{where} unreachable ({error})")


def _ping(options: RedisOptions) -> str | None:
    """None when the server answers a PING; else the error, without any secret."""
    from redis.exceptions import RedisError

    from cloudrig.ratelimit._redis import make_client

    client = make_client(options)
    try:
        client.ping()
    except RedisError as exc:
        return type(exc).__name__
    finally:
        client.close()
    return None


def _check_accounts(report: _Report, reg: PluginRegistry, loaded: Config | None) -> None:
    report.section("Accounts")
    if loaded is None:
        report.info("not checked: the configuration is invalid")
        return
    from cloudrig._rig import Rig

    rig = Rig(loaded, reg)
    for name, account in loaded.accounts.items():
        where = f"account {name!r} ({account.provider})"
        try:
            result = rig.account(name).check()
        except CloudrigError as exc:
            report.problem(f"{where}: {type(exc).__name__}: {exc}")
            continue
        except Exception as exc:  # a provider's constructor is third-party code
            report.problem(f"{where}: the provider failed to start: {type(exc).__name__}: {exc}")
            continue
        detail = f" ({result.detail})" if result.detail else ""
        report.ok(f"{where}: {result.identity}{detail}")
    if not loaded.accounts:
        report.info("no accounts configured")
    if loaded.metric_sources:
        _check_metric_sources(report, loaded, rig)


def _check_metric_sources(report: _Report, loaded: Config, rig: Rig) -> None:
    from cloudrig.canary._sources import ConfiguredMetrics

    report.section("Metric sources")
    sources = ConfiguredMetrics(loaded.metric_sources, rig.limiter)
    for name, configured in loaded.metric_sources.items():
        where = f"metric source {name!r} ({configured.descriptor.name})"
        try:
            report.ok(f"{where}: {sources.source(name).check()}")
        except Exception as exc:  # a source's code is third-party; its errors name the problem
            report.problem(f"{where}: {type(exc).__name__}: {exc}")


def _conclude(problems: list[str]) -> None:
    from rich.text import Text

    if not problems:
        stdout().print(Text("No problems found.", style="bold green"))
        return
    console = stderr()
    console.print(Text(f"{len(problems)} problem(s) found:", style="bold red"))
    for problem in problems:
        console.print(Text(f"  - {problem}", style="red"))
    raise typer.Exit(1)
