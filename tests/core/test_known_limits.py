"""A provider ships its cloud's documented API limits in its descriptor (``known_limits``): they
join the configuration's rules for a rig with an account on it, after the user's own rules, and
bind only the calls they match. A malformed one fails loudly, naming the provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

import cloudrig
from cloudrig import PluginError
from cloudrig.provider import ProviderDescriptor, hookimpl
from cloudrig.ratelimit import CallClass
from cloudrig.testing._settings import REFERENCE_CAPABILITIES
from cloudrig.testing.reference import IMPLEMENTATION

KNOWN = (
    {"cloud": "refcloud", "service": "compute", "call_class": "mutate", "rate": 5, "burst": 3},
)


class Plugin:
    def __init__(self, name: str, known: Sequence[Mapping[str, object]]) -> None:
        self.descriptor = ProviderDescriptor(
            name=name,
            contract_version="2.0",
            capabilities=REFERENCE_CAPABILITIES,
            naming="cloudrig.testing._settings:REFERENCE_NAMING",
            account_settings="cloudrig.testing._settings:ReferenceAccountSettings",
            implementation=IMPLEMENTATION,
            known_limits=known,
        )

    @hookimpl
    def cloudrig_providers(self) -> list[ProviderDescriptor]:
        return [self.descriptor]


def connect(known: Sequence[Mapping[str, object]], **config: Any) -> cloudrig.Rig:
    return cloudrig.connect(
        {"accounts": {"a": {"provider": "refs", "regions": ["r1"]}}, **config},
        plugins=[Plugin("refs", known), Plugin("unused", KNOWN)],
        entry_points=False,
    )


def bucket(rig: cloudrig.Rig, call_class: CallClass, service: str = "compute") -> Any:
    return rig.limiter.bucket(
        cloud="refcloud", identity="id", service=service, region="r1", call_class=call_class
    )


def test_a_known_limit_binds_the_calls_it_matches_and_only_those() -> None:
    with connect(KNOWN) as rig:
        assert (
            bucket(rig, CallClass.MUTATE).limit.rate,
            bucket(rig, CallClass.MUTATE).limit.burst,
        ) == (5, 3)
        assert bucket(rig, CallClass.READ).limit.rate == 10  # the default read budget
        assert bucket(rig, CallClass.MUTATE, service="storage").limit.rate == 2  # default mutate


def test_a_users_rule_as_specific_as_a_known_one_wins() -> None:
    users = {"rules": [{"cloud": "refcloud", "service": "compute", "call_class": "mutate",
                        "rate": 1, "burst": 1}]}  # fmt: skip
    with connect(KNOWN, limits=users) as rig:
        assert bucket(rig, CallClass.MUTATE).limit.rate == 1


def test_known_limits_of_providers_without_a_configured_account_do_not_apply() -> None:
    with connect(()) as rig:  # "unused" declares KNOWN but no account uses it
        assert bucket(rig, CallClass.MUTATE).limit.rate == 2


def test_a_known_limit_must_name_its_cloud() -> None:
    with pytest.raises(ValueError, match=r"known_limits\[0\] must be a mapping .* cloud"):
        Plugin("refs", [{"service": "compute", "rate": 5}])


def test_a_malformed_known_limit_fails_at_connect_naming_the_provider() -> None:
    bad = ({"cloud": "refcloud", "rate": -1},)
    with pytest.raises(
        PluginError, match=r"provider 'refs': known_limits\[0\]: rate: .*greater than 0"
    ):
        connect(bad)
