"""``cloudrig providers``: the table, ``--json``, and plugin failures as warnings (exit 0)."""

from __future__ import annotations

import json

from plugins.fakesite import FakeSite

from cli.clirun import invoke
from cloudrig._cli._output import capability_summary
from cloudrig.provider import CONTRACT_VERSION, Capabilities, TrafficSplit


def test_table_lists_name_distribution_version_contract_capabilities(empty: FakeSite) -> None:
    result = invoke(["providers"])
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if " empty " in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["empty", "cloudrig-empty", "1.0", "2.0", "traffic none; resize, warm disable"]
    assert f"contract {CONTRACT_VERSION}" in result.stdout
    assert result.stderr == ""


def test_json_for_machines(empty: FakeSite) -> None:
    result = invoke(["providers", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["contract_version"] == CONTRACT_VERSION
    assert data["failures"] == []
    assert data["providers"] == [
        {
            "name": "empty",
            "description": "an empty read-only cloud",
            "plugin": "emptyplug",
            "distribution": "cloudrig-empty",
            "version": "1.0",
            "contract_version": "2.0",
            "compatible": True,
            "capabilities": {
                "traffic_split": "none",
                "max_weighted_groups": None,
                "baseline_beside_canary": False,
                "resizable": True,
                "disable_keeps_instances": True,
                "efficient_wait": False,
            },
            "implementation": "emptyplug_impl:EmptyCloud",
        }
    ]


def test_failed_plugin_is_a_warning_and_the_rest_is_listed(empty: FakeSite) -> None:
    empty.module("broken", "import does_not_exist_anywhere\n")
    empty.distribution("cloudrig-broken", {"broken": "broken"}, version="2.1")
    result = invoke(["providers", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [p["name"] for p in data["providers"]] == ["empty"]
    assert data["failures"] == [
        {
            "source": "cloudrig-broken",
            "entry_point": "broken",
            "error": "ModuleNotFoundError: No module named 'does_not_exist_anywhere'",
        }
    ]
    assert result.stderr == (
        "warning: plugin cloudrig-broken (entry point broken): "
        "ModuleNotFoundError: No module named 'does_not_exist_anywhere'\n"
    )


def test_incompatible_contract_is_marked(installed_site: FakeSite) -> None:
    installed_site.provider_distribution("cloudrig-next", "nextplug", "next", contract="9.0")
    result = invoke(["providers"])
    assert result.exit_code == 0
    assert "9.0 (incompatible)" in result.stdout


def test_nothing_installed(installed_site: FakeSite) -> None:
    result = invoke(["providers"])
    assert result.exit_code == 0
    assert result.stdout == "No providers installed.\n"


def test_capability_summary_names_every_declared_capability() -> None:
    caps = Capabilities(
        traffic_split=TrafficSplit.EXACT,
        max_weighted_groups=5,
        baseline_beside_canary=True,
        efficient_wait=True,
    )
    assert capability_summary(caps) == (
        "traffic exact (max 5); baseline, resize, warm disable, efficient wait"
    )
    lean = Capabilities(
        traffic_split=TrafficSplit.CAPACITY_ONLY,
        baseline_beside_canary=False,
        resizable=False,
        disable_keeps_instances=False,
    )
    assert capability_summary(lean) == "traffic capacity_only; no extras"


def test_reference_provider_by_module_name(installed_site: FakeSite) -> None:
    result = invoke(["-p", "cloudrig.testing.reference", "providers"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if " reference " in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == [
        "reference",
        "module cloudrig.testing.reference",
        "-",
        CONTRACT_VERSION,
        "traffic exact (max 5); baseline, resize, warm disable, efficient wait",
    ]
