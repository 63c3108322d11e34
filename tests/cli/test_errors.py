"""Errors: a ``CloudrigError`` is one red line and exit 1, never a traceback; usage errors exit 2."""

from __future__ import annotations

import typer
from plugins.fakesite import FakeSite
from typer.testing import CliRunner

import cloudrig
from cli.clirun import invoke
from cloudrig import PluginError
from cloudrig._cli._output import CloudrigGroup
from cloudrig.provider import CONTRACT_VERSION


def test_cloudrig_error_is_one_line_and_exit_1() -> None:
    # A throwaway app with the CLI's group class: any command raising a CloudrigError.
    app = typer.Typer(cls=CloudrigGroup)

    @app.command()
    def connect() -> None:
        raise PluginError("provider 'aws' (cloudrig-aws 0.1.0): cannot import implementation")

    @app.command()
    def other() -> None:  # a second command, so typer keeps the subcommand in the usage
        raise AssertionError("not called")

    result = CliRunner().invoke(app, ["connect"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: provider 'aws' (cloudrig-aws 0.1.0): cannot import implementation\n"
    )
    assert "Traceback" not in result.output


def test_unexpected_exception_is_not_swallowed() -> None:
    app = typer.Typer(cls=CloudrigGroup)

    @app.command()
    def crash() -> None:
        raise ZeroDivisionError("a bug")

    @app.command()
    def other() -> None:
        raise AssertionError("not called")

    result = CliRunner().invoke(app, ["crash"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_usage_errors_exit_2(installed_site: FakeSite) -> None:
    assert invoke(["doctor", "--no-such-option"]).exit_code == 2
    assert invoke(["no-such-command"]).exit_code == 2
    assert invoke(["-p"]).exit_code == 2  # -p needs a module name


def test_no_arguments_shows_help(installed_site: FakeSite) -> None:
    result = invoke([])
    assert "providers" in result.output
    assert "doctor" in result.output
    assert "config" in result.output


def test_version(installed_site: FakeSite) -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert (
        result.stdout == f"cloudrig {cloudrig.__version__} (provider contract {CONTRACT_VERSION})\n"
    )
