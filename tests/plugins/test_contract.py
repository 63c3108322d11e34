"""The contract is versioned and checked: a provider written for another major version is refused
by ``connect`` and reported by ``doctor`` with both versions named; an implementation missing an
operation is refused with the operation named."""

from __future__ import annotations

import pytest

import cloudrig
from cloudrig import ConfigError, ContractVersionError, PluginError
from cloudrig._plugins import PluginRegistry
from cloudrig.provider import CONTRACT_VERSION
from plugins.fakesite import FAKE_PROVIDER, FakeSite

ACCOUNTS = {"accounts": {"future-prod": {"provider": "future", "regions": ["eu-1"]}}}


@pytest.fixture
def future(site: FakeSite) -> FakeSite:
    site.provider_distribution("cloudrig-future", "futurecloud", "future", contract="3.0")
    return site


def test_doctor_reports_contract_mismatch_naming_both_versions(future: FakeSite) -> None:
    doctor = future.run("doctor")
    assert doctor.returncode == 1
    assert (
        "provider 'future' (cloudrig-future 1.0) was written for contract version 3.0; "
        f"this cloudrig implements contract version {CONTRACT_VERSION}" in doctor.stdout
    )


def test_providers_marks_incompatible_contract(future: FakeSite) -> None:
    listing = future.run("providers")
    assert listing.returncode == 0
    assert "3.0 (incompatible)" in listing.stdout

    as_json = future.run("providers", "--json")
    assert '"compatible": false' in as_json.stdout


def test_connect_refuses_incompatible_provider(installed_site: FakeSite) -> None:
    installed_site.provider_distribution("cloudrig-future", "futurecloud", "future", contract="3.0")
    with pytest.raises(ConfigError) as caught:
        cloudrig.connect(ACCOUNTS)
    assert caught.value.problems == [
        (
            "account 'future-prod'",
            "provider 'future' (cloudrig-future 1.0) was written for contract version 3.0; "
            f"this cloudrig implements contract version {CONTRACT_VERSION}",
        )
    ]
    with pytest.raises(ContractVersionError, match=r"version 3\.0; .* version 2\.0"):
        PluginRegistry().implementation("future")


def test_compatible_minor_version_is_accepted(installed_site: FakeSite) -> None:
    major = CONTRACT_VERSION.split(".")[0]
    installed_site.provider_distribution(
        "cloudrig-older", "oldercloud", "older", contract=f"{major}.0"
    )
    rig = cloudrig.connect({"accounts": {"old": {"provider": "older", "regions": ["r"]}}})
    assert rig.account("old").check().identity == "empty-cloud:old"


PARTIAL = """
from cloudrig.provider import ServerGroups
from emptycloud import EmptyCloud, EmptyServerGroups


class PartialServerGroups(EmptyServerGroups):
    health = ServerGroups.health  # as if the author never wrote it


class PartialCloud(EmptyCloud):
    server_groups: PartialServerGroups
"""


def write_partial(site: FakeSite) -> None:
    site.module("emptycloud", FAKE_PROVIDER.read_text(encoding="utf-8"))
    site.module("partialcloud_impl", PARTIAL)
    site.provider_distribution(
        "cloudrig-partial",
        "partialcloud",
        "partial",
        implementation="partialcloud_impl:PartialCloud",
    )


def test_doctor_names_the_missing_operation(site: FakeSite) -> None:
    write_partial(site)
    doctor = site.run("doctor")
    assert doctor.returncode == 1
    assert (
        "provider 'partial' (cloudrig-partial 1.0) does not fulfil the contract: "
        "operation get_health is not implemented" in doctor.stdout
    )


def test_connect_refuses_the_incomplete_implementation_on_first_use(
    installed_site: FakeSite,
) -> None:
    write_partial(installed_site)
    rig = cloudrig.connect({"accounts": {"p": {"provider": "partial", "regions": ["r"]}}})
    with pytest.raises(PluginError, match="operation get_health is not implemented"):
        rig.account("p")
