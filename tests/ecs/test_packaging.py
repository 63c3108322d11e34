"""The ECS plugin is found through its entry point, loads no boto3, and maps names to what ECS
and ELB accept."""

from __future__ import annotations

import subprocess
import sys

from cloudrig import Moniker
from cloudrig._plugins import PluginRegistry
from cloudrig_ecs.naming import LB_NAMING, NAMING, version_target_group_name


def test_plugin_and_package_import_no_boto3() -> None:
    code = (
        "import sys, cloudrig_ecs, cloudrig_ecs.plugin\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'SDK loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_entry_points_name_both_providers_and_their_contracts_hold() -> None:
    registry = PluginRegistry(environment=False)
    assert {"ecs", "lambda"} <= set(registry.providers)
    for name in ("ecs", "lambda"):
        registry.check_version(name)
        assert (
            registry.implementation(name).__name__
            == {"ecs": "EcsProvider", "lambda": "LambdaProvider"}[name]
        )


def test_names_fit_ecs_and_elb() -> None:
    moniker = Moniker(app="chéckout 支付", stack="p" * 300, sequence=4)
    name = NAMING.server_group_name(moniker)
    assert len(name) <= 255
    assert all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    target_group = version_target_group_name(name)
    assert len(target_group) <= 32
    assert target_group[0].isalpha()
    assert version_target_group_name(name) != LB_NAMING.resource_name(name)
