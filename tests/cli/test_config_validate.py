"""``cloudrig config validate FILE``: every account validated with its provider's settings model;
each mistake is ONE problem naming the account and the field, and secret values never appear."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugins.fakesite import FakeSite

from cli.clirun import invoke, write

LITERAL = "hunter2-literal-secret"


def test_valid_config_lists_the_accounts(
    empty: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPTY_TOKEN", "resolved-secret-value")
    secret_file = tmp_path / "token"
    secret_file.write_text("secret-from-file\n")
    config = write(
        tmp_path,
        f"""
        accounts:
          dev: {{provider: empty, regions: [eu-1, eu-2], token: "env:EMPTY_TOKEN"}}
          prod: {{provider: empty, regions: [us-1], token: "file:{secret_file}"}}
        """,
    )
    result = invoke(["config", "validate", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "  ✓ dev: provider empty, regions eu-1, eu-2",
        "  ✓ prod: provider empty, regions us-1",
        f"{config}: 2 account(s) valid",
    ]
    assert "resolved-secret-value" not in result.output
    assert "secret-from-file" not in result.output


def test_toml_config(empty: FakeSite, tmp_path: Path) -> None:
    config = write(
        tmp_path, '[accounts.dev]\nprovider = "empty"\nregions = ["eu-1"]\n', "cloudrig.toml"
    )
    result = invoke(["config", "validate", str(config)])
    assert result.exit_code == 0, result.output
    assert "  ✓ dev: provider empty, regions eu-1" in result.stdout


ACCOUNT = "accounts:\n  dev:\n    provider: empty\n    regions: [eu-1]\n"


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            ACCOUNT.replace("provider: empty", "provider: nimbus"),
            "account 'dev', field 'provider': unknown provider 'nimbus' (installed: empty)",
        ),
        (
            ACCOUNT + "    zone: eu-1a\n",
            "account 'dev', field 'zone': unknown field",
        ),
        (
            ACCOUNT.replace("    regions: [eu-1]\n", ""),
            "account 'dev', field 'regions': Field required",
        ),
        (
            ACCOUNT.replace("[eu-1]", "[]"),
            "account 'dev', field 'regions': Tuple should have at least 1 item after "
            "validation, not 0",
        ),
        (
            ACCOUNT.replace("provider: empty\n", ""),
            "account 'dev', field 'provider': missing: name the provider",
        ),
        (
            ACCOUNT + "    token: env:CLOUDRIG_TEST_UNSET_VARIABLE\n",
            "account 'dev', field 'token': Value error, secret reference "
            "env:CLOUDRIG_TEST_UNSET_VARIABLE: environment variable "
            "CLOUDRIG_TEST_UNSET_VARIABLE is not set",
        ),
        (
            ACCOUNT + "    token: file:/nonexistent/cloudrig/token\n",
            "account 'dev', field 'token': Value error, secret reference "
            "file:/nonexistent/cloudrig/token: No such file or directory",
        ),
        (
            ACCOUNT + f"    token: {LITERAL}\n",
            "account 'dev', field 'token': Value error, must be a secret reference 'env:NAME' "
            "or 'file:PATH' (literal secrets are not accepted in configuration)",
        ),
        (
            ACCOUNT + "    fail_check: maybe\n",
            "account 'dev', field 'fail_check': Input should be a valid boolean, unable to "
            "interpret input",
        ),
        (
            ACCOUNT + "acounts: {}\n",
            "top-level key 'acounts': unknown field",
        ),
    ],
    ids=[
        "unknown-provider",
        "unknown-field",
        "missing-regions",
        "empty-regions",
        "missing-provider",
        "env-unset",
        "file-missing",
        "literal-secret",
        "wrong-type",
        "unknown-top-level",
    ],
)
def test_one_clear_problem_per_mistake(
    empty: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, problem: str
) -> None:
    monkeypatch.delenv("CLOUDRIG_TEST_UNSET_VARIABLE", raising=False)
    path = write(tmp_path, config)
    result = invoke(["config", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{path}: 1 problem(s)", f"  ✗ {problem}"]
    assert LITERAL not in result.output


def test_every_problem_of_every_account_is_listed(empty: FakeSite, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        accounts:
          a: {provider: empty, regions: [r], colour: blue}
          b: {provider: cumulus, regions: [r]}
          c: {provider: empty, regions: [r]}
        """,
    )
    result = invoke(["config", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}: 2 problem(s)",
        "  ✗ account 'a', field 'colour': unknown field",
        "  ✗ account 'b', field 'provider': unknown provider 'cumulus' (installed: empty)",
    ]


def test_unreadable_and_malformed_files(empty: FakeSite, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = invoke(["config", "validate", str(missing)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{missing}: 1 problem(s)",
        f"  ✗ cannot read {missing}: No such file or directory",
    ]

    malformed = write(tmp_path, "accounts: [unclosed\n")
    result = invoke(["config", "validate", str(malformed)])
    assert result.exit_code == 1
    assert "  ✗ not valid yaml: while parsing a flow sequence" in result.stderr

    scalar = write(tmp_path, "just a string\n", "scalar.yaml")
    result = invoke(["config", "validate", str(scalar)])
    assert result.exit_code == 1
    assert "the top level must be a mapping" in result.stderr


def test_file_argument_is_required_usage_error(empty: FakeSite) -> None:
    result = invoke(["config", "validate"])
    assert result.exit_code == 2
    assert "Missing argument 'FILE'" in result.stderr


def test_failed_plugins_are_shown_so_unknown_provider_is_explained(
    empty: FakeSite, tmp_path: Path
) -> None:
    empty.module("cloudrig_nimbus_plugin", "raise ImportError('nimbus needs libnimbus.so')\n")
    empty.distribution("cloudrig-nimbus", {"nimbus": "cloudrig_nimbus_plugin"})
    path = write(tmp_path, ACCOUNT.replace("provider: empty", "provider: nimbus"))
    result = invoke(["config", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "warning: plugin cloudrig-nimbus (entry point cloudrig_nimbus_plugin): "
        "ImportError: nimbus needs libnimbus.so",
        f"{path}: 1 problem(s)",
        "  ✗ account 'dev', field 'provider': unknown provider 'nimbus' (installed: empty)",
    ]
