"""Loading the reference provider: by module name only (never an entry point), variants with
other capabilities, and ``cloudrig.testing`` importable without pytest."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from core.refkit import REGION, Connect, spec

import cloudrig
from cloudrig import Capacity, NotSupported
from cloudrig._plugins import PluginRegistry
from cloudrig.provider import Capabilities, TrafficSplit
from cloudrig.testing import (
    REFERENCE_CAPABILITIES,
    ManualClock,
    ReferenceProvider,
    reference_plugin,
)

CORE = Path(__file__).parents[2] / "core"

LAMBDA_LIKE = Capabilities(
    traffic_split=TrafficSplit.EXACT,
    max_weighted_groups=2,
    baseline_beside_canary=False,
    resizable=False,
    disable_keeps_instances=False,
)


def test_loaded_by_name_with_full_capabilities() -> None:
    registry = PluginRegistry(["cloudrig.testing.reference"], entry_points=False)
    entry = registry.provider("reference")
    assert entry.descriptor.capabilities == REFERENCE_CAPABILITIES
    caps = entry.descriptor.capabilities
    assert (caps.traffic_split, caps.max_weighted_groups) == (TrafficSplit.EXACT, 5)
    assert caps.baseline_beside_canary
    assert caps.resizable
    assert caps.disable_keeps_instances
    assert caps.efficient_wait
    assert registry.implementation("reference") is ReferenceProvider
    assert entry.origin == "module cloudrig.testing.reference"


def test_never_registered_as_an_entry_point() -> None:
    project = tomllib.loads((CORE / "pyproject.toml").read_text())["project"]
    entry_points = project.get("entry-points", {})
    assert "cloudrig" not in entry_points
    assert "cloudrig.testing" not in str(entry_points)
    assert "reference" not in PluginRegistry(environment=False).providers


def test_variant_declares_and_behaves_by_its_capabilities(connect: Connect) -> None:
    plugin = reference_plugin("reference-lambda", capabilities=LAMBDA_LIKE)
    rig = connect(provider="reference-lambda", plugins=(plugin,))
    account = rig.account("ref")
    assert account.capabilities == LAMBDA_LIKE
    group = account.create_server_group(spec())
    with pytest.raises(NotSupported):
        account.server_groups.resize(REGION, group.name, Capacity.fixed(3))
    account.server_groups.disable(REGION, group.name)
    assert account.server_groups.get(REGION, group.name).instances == ()  # not kept warm
    account.server_groups.enable(REGION, group.name)
    assert len(account.server_groups.get(REGION, group.name).instances) == 2
    with pytest.raises(NotSupported):
        account.provider.server_groups.wait_for_health(REGION, group.name, healthy=1, timeout=1)


def test_variant_without_traffic_split(connect: Connect) -> None:
    caps = Capabilities(traffic_split=TrafficSplit.NONE, baseline_beside_canary=True)
    rig = connect(
        provider="reference-plain",
        plugins=(reference_plugin("reference-plain", capabilities=caps),),
    )
    account = rig.account("ref")
    group = account.create_server_group(spec())
    with pytest.raises(NotSupported):
        account.traffic.get_weights(REGION, [group.name])
    with pytest.raises(NotSupported):
        account.traffic.set_weights(REGION, cloudrig.TrafficWeights(weights={group.name: 100}))


def test_variants_share_the_cloud_with_the_full_provider(connect: Connect) -> None:
    full = connect().account("ref")
    group = full.create_server_group(spec())
    variant = connect(
        provider="reference-lambda",
        plugins=(reference_plugin("reference-lambda", capabilities=LAMBDA_LIKE),),
    ).account("ref")
    assert variant.server_groups.get(REGION, group.name).name == group.name


def test_variant_with_a_planted_provider_class(connect: Connect, clock: ManualClock) -> None:
    class Quiet(ReferenceProvider):
        def check(self) -> cloudrig.CheckResult:
            return cloudrig.CheckResult(identity="quiet")

    rig = connect(provider="quiet", plugins=(reference_plugin("quiet", provider_class=Quiet),))
    assert rig.account("ref").check().identity == "quiet"
    assert rig.clock is clock


def test_testing_imports_neither_pytest_nor_hypothesis() -> None:
    code = (
        "import sys, cloudrig.testing, cloudrig.testing.reference;"
        "bad = {'pytest', 'hypothesis', '_pytest'} & set(sys.modules);"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_settings_module_imports_only_pydantic_and_the_core() -> None:
    """Config validation needs only the settings models; their module stays light."""
    source = (CORE / "src" / "cloudrig" / "testing" / "_settings.py").read_text()
    imported = {
        node.module or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert all(
        m in ("__future__", "pydantic") or m.startswith(("cloudrig._", "cloudrig.provider."))
        for m in imported
    ), imported
