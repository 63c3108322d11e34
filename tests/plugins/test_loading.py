"""Plugins that are not installed as distributions are loaded by module name, like pytest's
``-p``: the global ``-p/--plugin`` option (repeatable) and ``CLOUDRIG_PLUGINS`` (comma-separated)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from plugins.fakesite import FakeSite


@pytest.fixture
def loose(site: FakeSite) -> FakeSite:
    """Two plugin modules on the path, neither registered as an entry point."""
    site.provider("loose_one", "one")
    site.provider("loose_two", "two")
    return site


def names(result: subprocess.CompletedProcess[str]) -> dict[str, str | None]:
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return {p["name"]: p["distribution"] for p in data["providers"]}


def test_not_loaded_unless_named(loose: FakeSite) -> None:
    found = names(loose.run("providers", "--json"))
    assert "one" not in found
    assert "two" not in found


def test_plugin_option_loads_modules_by_name(loose: FakeSite) -> None:
    found = names(loose.run("-p", "loose_one", "--plugin", "loose_two", "providers", "--json"))
    assert found["one"] is None  # loaded by name: no distribution
    assert found["two"] is None

    table = loose.run("-p", "loose_one", "providers")
    assert "module loose_one" in table.stdout


def test_environment_variable_loads_modules_by_name(loose: FakeSite) -> None:
    found = names(loose.run("providers", "--json", CLOUDRIG_PLUGINS="loose_one, loose_two"))
    assert {"one", "two"} <= set(found)


def test_option_and_environment_combine_and_a_module_loads_once(loose: FakeSite) -> None:
    result = loose.run(
        "-p", "loose_one", "providers", "--json", CLOUDRIG_PLUGINS="loose_one,loose_two"
    )
    found = names(result)
    assert {"one", "two"} <= set(found)
    assert "loose" not in result.stderr  # loading loose_one twice is not a duplicate provider


def test_unknown_module_is_a_warning_not_a_failure(loose: FakeSite) -> None:
    result = loose.run("-p", "no_such_plugin", "-p", "loose_one", "providers")
    assert result.returncode == 0
    assert "one" in result.stdout
    assert (
        "plugin module no_such_plugin: ModuleNotFoundError: No module named 'no_such_plugin'"
        in result.stderr
    )


def test_console_script_is_the_same_command(loose: FakeSite) -> None:
    script = Path(sys.executable).with_name("cloudrig")
    if not script.exists():
        pytest.skip(
            f"the console script is not installed next to {sys.executable} (pip install -e core)"
        )
    result = subprocess.run(
        [str(script), "-p", "loose_two", "providers", "--json"],
        capture_output=True,
        text=True,
        env=loose.env(),
        timeout=60,
        check=False,
    )
    assert "two" in names(result)
