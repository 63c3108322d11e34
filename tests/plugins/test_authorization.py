"""An authorization plugin, installed like any other, is asked before every mutating operation;
its deny stops the operation before the provider is called and names who, what, where and why."""

from __future__ import annotations

import importlib

import pytest

import cloudrig
from cloudrig import AuthorizationDenied, Capacity, Moniker, PermissionDenied, ServerGroupSpec
from plugins.fakesite import FakeSite

FREEZE = """
from cloudrig.provider import Decision, hookimpl

ASKED = []


@hookimpl
def cloudrig_authorize(principal, action, account, resource):
    ASKED.append((principal, action, account, resource))
    if account.endswith("-prod"):
        return Decision.deny("change freeze until Monday")
    return None  # abstain
"""

CONFIG = {
    "accounts": {
        "empty-prod": {"provider": "empty", "regions": ["eu-1"]},
        "empty-dev": {"provider": "empty", "regions": ["eu-1"]},
    }
}


def spec(account: str) -> ServerGroupSpec:
    return ServerGroupSpec(
        moniker=Moniker(app="checkout", stack="prod"),
        account=account,
        region="eu-1",
        artifact="img-1",
        capacity=Capacity(min=1, desired=1, max=2),
    )


@pytest.fixture
def rig(installed_site: FakeSite) -> cloudrig.Rig:
    installed_site.provider_distribution("cloudrig-empty", "emptyplug", "empty")
    installed_site.module("freeze", FREEZE)
    installed_site.distribution("acme-change-freeze", {"freeze": "freeze"})
    return cloudrig.connect(CONFIG, principal="alice")


def test_deny_stops_a_mutating_operation(rig: cloudrig.Rig) -> None:
    freeze = importlib.import_module("freeze")  # the plugin module the entry point loaded

    with pytest.raises(AuthorizationDenied) as caught:
        rig.account("empty-prod").create_server_group(spec("empty-prod"))
    denied = caught.value
    assert (denied.principal, denied.action, denied.account) == (
        "alice",
        "create_server_group",
        "empty-prod",
    )
    assert denied.resource == "checkout-prod-v001"
    assert str(denied) == (
        "alice may not create_server_group 'checkout-prod-v001' in account 'empty-prod': "
        "change freeze until Monday"
    )
    assert freeze.ASKED == [("alice", "create_server_group", "empty-prod", "checkout-prod-v001")]


def test_abstaining_lets_the_operation_reach_the_provider(rig: cloudrig.Rig) -> None:
    # The empty cloud refuses every write itself: reaching that refusal proves the hook allowed it.
    with pytest.raises(PermissionDenied, match="read-only"):
        rig.account("empty-dev").create_server_group(spec("empty-dev"))


def test_reads_are_not_authorized(rig: cloudrig.Rig) -> None:
    freeze = importlib.import_module("freeze")

    assert rig.account("empty-prod").server_groups.list("checkout") == []
    assert freeze.ASKED == []
