"""``cloudrig doctor``: exit 0 when nothing is broken, else exit 1 naming every problem; account
checks with ``--accounts``; credentials never printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugins.fakesite import FakeSite

from cli.clirun import invoke, write

SECRET = "s3cr3t-token-value"

GOOD = """
accounts:
  dev:
    provider: empty
    regions: [eu-1]
    token: env:EMPTY_TOKEN
"""

ONE_FAILING = """
accounts:
  dev:
    provider: empty
    regions: [eu-1]
    token: env:EMPTY_TOKEN
  locked:
    provider: empty
    regions: [eu-1]
    token: env:EMPTY_TOKEN
    fail_check: true
"""


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EMPTY_TOKEN", SECRET)
    monkeypatch.delenv("CLOUDRIG_CONFIG", raising=False)
    work = tmp_path / "work"  # a directory without cloudrig.yaml, unless a test writes one
    work.mkdir()
    monkeypatch.chdir(work)


def test_healthy_without_config(empty: FakeSite) -> None:
    result = invoke(["doctor"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Plugins",
        "  ✓ cloudrig-empty 1.0 (plugin emptyplug): providers empty",
        "Providers",
        "  ✓ empty (cloudrig-empty 1.0): contract 2.0, implementation emptyplug_impl:EmptyCloud "
        "complete",
        "Configuration",
        "  · no configuration given (--config FILE or ./cloudrig.yaml checks one)",
        "No problems found.",
    ]


def test_plugin_loaded_by_name_is_listed_as_module(installed_site: FakeSite) -> None:
    installed_site.provider("looseplug", "loose")
    result = invoke(["-p", "looseplug", "doctor"])
    assert result.exit_code == 0, result.output
    assert "  ✓ module looseplug: providers loose" in result.stdout


def test_hook_only_plugin(empty: FakeSite) -> None:
    empty.module(
        "auditor",
        "from cloudrig.provider import hookimpl\n\n@hookimpl\ndef cloudrig_authorize(principal, action, account, resource):\n    return None\n",
    )
    empty.distribution("acme-audit", {"auditor": "auditor"}, version="3.2")
    result = invoke(["doctor"])
    assert result.exit_code == 0, result.output
    assert "  ✓ acme-audit 3.2 (plugin auditor): hooks only" in result.stdout


def test_valid_config(empty: FakeSite, tmp_path: Path) -> None:
    config = write(tmp_path, GOOD)
    result = invoke(["doctor", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"  ✓ {config}: 1 account(s) valid (dev)" in result.stdout


def test_config_from_environment_or_working_directory(
    empty: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, GOOD, "elsewhere.yaml")
    result = invoke(["doctor"], CLOUDRIG_CONFIG=str(config))
    assert result.exit_code == 0, result.output
    assert f"  ✓ {config}: 1 account(s) valid (dev)" in result.stdout

    write(Path.cwd(), GOOD.replace("dev:", "local:"))
    result = invoke(["doctor", "--accounts"])
    assert result.exit_code == 0, result.output
    assert "  ✓ cloudrig.yaml: 1 account(s) valid (local)" in result.stdout
    assert "  ✓ account 'local' (empty): empty-cloud:local" in result.stdout


def test_invalid_config_is_a_problem(empty: FakeSite, tmp_path: Path) -> None:
    config = write(tmp_path, GOOD.replace("regions", "region"))
    result = invoke(["doctor", "-c", str(config)])
    assert result.exit_code == 1
    assert f"  ✗ {config}: account 'dev', field 'region': unknown field" in result.stdout
    assert f"  ✗ {config}: account 'dev', field 'regions': Field required" in result.stdout
    assert "2 problem(s) found:" in result.stderr


def test_accounts_checked_each_with_identity_or_error(empty: FakeSite, tmp_path: Path) -> None:
    config = write(tmp_path, ONE_FAILING)
    result = invoke(["doctor", "--config", str(config), "--accounts"])
    assert result.exit_code == 1
    assert "  ✓ account 'dev' (empty): empty-cloud:dev" in result.stdout
    problem = "account 'locked' (empty): PermissionDenied: the empty cloud refused the credentials"
    assert f"  ✗ {problem}" in result.stdout
    assert result.stderr == f"1 problem(s) found:\n  - {problem}\n"
    assert SECRET not in result.output


def test_working_accounts_exit_zero(empty: FakeSite, tmp_path: Path) -> None:
    config = write(tmp_path, GOOD)
    result = invoke(["doctor", "--config", str(config), "--accounts"])
    assert result.exit_code == 0, result.output
    assert "  ✓ account 'dev' (empty): empty-cloud:dev" in result.stdout
    assert SECRET not in result.output


def test_accounts_of_an_invalid_config_are_not_checked(empty: FakeSite, tmp_path: Path) -> None:
    config = write(tmp_path, GOOD.replace("env:EMPTY_TOKEN", "env:EMPTY_TOKEN_UNSET"))
    result = invoke(["doctor", "--config", str(config), "--accounts"])
    assert result.exit_code == 1
    assert "  · not checked: the configuration is invalid" in result.stdout
    assert "environment variable EMPTY_TOKEN_UNSET is not set" in result.stdout


def test_accounts_needs_a_config_usage_error(empty: FakeSite) -> None:
    result = invoke(["doctor", "--accounts"])
    assert result.exit_code == 2
    assert "needs --config FILE" in result.stderr


def test_reference_provider_loaded_with_p_and_its_account_checked(
    installed_site: FakeSite, tmp_path: Path
) -> None:
    config = write(
        tmp_path,
        "accounts:\n  test: {provider: reference, regions: [reference-1], identity: ci-bot}\n",
    )
    args = ["-p", "cloudrig.testing.reference", "doctor", "-c", str(config), "--accounts"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert "  ✓ module cloudrig.testing.reference: providers reference" in result.stdout
    assert "  ✓ account 'test' (reference): ci-bot@default" in result.stdout
