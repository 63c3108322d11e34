"""Provider descriptors: plain data, checked at once, with what needs pydantic named by reference.

Listing providers builds every installed provider's descriptor; the settings models and the naming
policy are imported on first use. A typo in a reference must fail loudly, naming the provider,
the field and the reference, no later than loading the implementation (``connect``, ``doctor``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cloudrig import PluginError
from cloudrig._plugins import PluginRegistry
from cloudrig.provider import (
    AccountSettings,
    Capabilities,
    NoSettings,
    ProviderDescriptor,
    TrafficSplit,
    hookimpl,
)
from cloudrig.testing._settings import REFERENCE_NAMING
from cloudrig.testing.reference import IMPLEMENTATION

CAPS = Capabilities(traffic_split=TrafficSplit.NONE, baseline_beside_canary=False)


def descriptor(**overrides: object) -> ProviderDescriptor:
    fields: dict[str, object] = {
        "name": "refs",
        "contract_version": "2.0",
        "capabilities": CAPS,
        "naming": "cloudrig.testing._settings:REFERENCE_NAMING",
        "account_settings": "cloudrig.testing._settings:ReferenceAccountSettings",
        "implementation": IMPLEMENTATION,
    }
    fields.update(overrides)
    return ProviderDescriptor(**fields)  # type: ignore[arg-type]


def test_references_resolve_on_first_use_to_the_objects_they_name() -> None:
    d = descriptor()
    assert d.naming is REFERENCE_NAMING
    assert issubclass(d.account_settings, AccountSettings)
    assert d.spec_settings is NoSettings  # the default, itself a reference
    assert d.references()["naming"] == "cloudrig.testing._settings:REFERENCE_NAMING"


def test_objects_are_accepted_as_well_and_equal_descriptors_compare_equal() -> None:
    from cloudrig.testing._settings import ReferenceAccountSettings

    d = descriptor(naming=REFERENCE_NAMING, account_settings=ReferenceAccountSettings)
    assert d.naming is REFERENCE_NAMING
    assert d == descriptor(naming=REFERENCE_NAMING, account_settings=ReferenceAccountSettings)
    assert d != descriptor(name="other", naming=REFERENCE_NAMING)
    with pytest.raises(AttributeError, match="immutable"):
        d.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "Bad Name"}, "name 'Bad Name' must match"),
        ({"contract_version": "2"}, "contract_version '2' must be 'MAJOR.MINOR'"),
        ({"implementation": "no_colon"}, "implementation must be 'package.module:ClassName'"),
        ({"account_settings": "not a reference"}, "account_settings 'not a reference' must be"),
        ({"capabilities": {"traffic_split": "none"}}, "capabilities must be Capabilities"),
    ],
)
def test_a_malformed_descriptor_is_refused_at_once_naming_the_field(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        descriptor(**overrides)


def test_an_object_of_the_wrong_kind_is_refused_at_once() -> None:
    with pytest.raises(PluginError, match="naming must be a NamingPolicy"):
        descriptor(naming=NoSettings)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"naming": "cloudrig_nowhere.naming:NAMING"}, "naming", "ModuleNotFoundError"),
        ({"account_settings": "cloudrig.testing._settings:Nope"}, "account_settings", "Nope"),
        (
            {"spec_settings": "cloudrig.testing._settings:REFERENCE_NAMING"},
            "spec_settings",
            "must be a subclass of ProviderSettings",
        ),
    ],
)
def test_a_reference_that_does_not_resolve_fails_when_the_implementation_loads(
    overrides: dict[str, object], field: str, message: str
) -> None:
    bad = descriptor(**overrides)  # building it imports nothing, so it cannot fail yet

    class Plugin:
        @hookimpl
        def cloudrig_providers(self) -> list[ProviderDescriptor]:
            return [bad]

    registry = PluginRegistry([Plugin()], entry_points=False, environment=False)
    assert "refs" in registry.providers  # listed: listing resolves no reference
    with pytest.raises(PluginError, match=f"provider 'refs'.*{field}.*{message}"):
        registry.implementation("refs")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"traffic_split": "weighted"}, "traffic_split: 'weighted' is not one of"),
        ({"traffic_split": "exact"}, "traffic_split 'exact' needs max_weighted_groups"),
        ({"traffic_split": "exact", "max_weighted_groups": 1}, "max_weighted_groups: 1 is not"),
        ({"traffic_split": "none", "resizable": "yes"}, "resizable: expected a bool"),
    ],
)
def test_bad_capabilities_are_refused_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Capabilities(baseline_beside_canary=False, **fields)  # type: ignore[arg-type]


def test_capabilities_take_the_split_by_value_and_give_json_in_declaration_order() -> None:
    caps = Capabilities(traffic_split="exact", max_weighted_groups=5, baseline_beside_canary=True)  # type: ignore[arg-type]
    assert caps.traffic_split is TrafficSplit.EXACT
    assert list(caps.as_json()) == [
        "traffic_split",
        "max_weighted_groups",
        "baseline_beside_canary",
        "resizable",
        "disable_keeps_instances",
        "efficient_wait",
    ]
    assert json.loads(json.dumps(caps.as_json()))["traffic_split"] == "exact"


def test_listing_the_installed_providers_imports_neither_pydantic_nor_a_cloud_sdk() -> None:
    probe = (
        "import json, sys\n"
        "from cloudrig._plugins import PluginRegistry\n"
        "registry = PluginRegistry()\n"
        "print(json.dumps({'providers': sorted(registry.providers), "
        "'failures': [str(f) for f in registry.failures], "
        "'loaded': sorted({m.split('.')[0] for m in sys.modules})}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    answer = json.loads(done.stdout)
    assert answer["failures"] == []
    assert {"aws", "ecs", "lambda", "gcp", "kubernetes"} <= set(answer["providers"])
    heavy = {"pydantic", "pydantic_core", "boto3", "botocore", "google", "kubernetes", "httpx"}
    assert heavy & set(answer["loaded"]) == set()
