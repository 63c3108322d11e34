"""Naming policies map ANY Unicode moniker to a valid, deterministic, collision-resistant name."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cloudrig import Moniker, format_name
from cloudrig.provider import NamingPolicy
from cloudrig.provider._naming_policy import HASH_LENGTH, _digest
from cloudrig.testing import name_problem

POLICIES = {
    "gce": NamingPolicy(
        max_length=63, allowed="a-z0-9", lowercase=True, must_start_with_letter=True
    ),
    "aws": NamingPolicy(max_length=255, allowed="a-zA-Z0-9"),
    "lambda": NamingPolicy(max_length=64, allowed="a-zA-Z0-9_"),
    "kubernetes": NamingPolicy(max_length=63, allowed="a-z0-9", lowercase=True),
}
policies = st.sampled_from(list(POLICIES.values()))

# Mostly arbitrary Unicode; sometimes a small alphabet whose characters clean to the same thing
# ("A" and "a" under lowercase, accents folding), so near-collisions are actually explored.
parts = st.one_of(st.text(max_size=80), st.text(alphabet="aAàé-_ .1", max_size=6))
apps = parts.filter(lambda s: bool(s.strip()))


@st.composite
def monikers(draw: st.DrawFn) -> Moniker:
    return Moniker(
        app=draw(apps),
        stack=draw(parts),
        detail=draw(parts),
        sequence=draw(st.integers(min_value=0, max_value=999)),
    )


@settings(max_examples=400)
@given(policy=policies, moniker=monikers())
def test_names_are_valid_for_the_policy(policy: NamingPolicy, moniker: Moniker) -> None:
    name = policy.server_group_name(moniker)
    assert name_problem(policy, name) is None, name
    assert name.endswith(f"-v{moniker.sequence:03d}")


@given(policy=policies, moniker=monikers())
def test_names_are_deterministic(policy: NamingPolicy, moniker: Moniker) -> None:
    twin = NamingPolicy.model_validate(policy.model_dump())
    copy = Moniker.model_validate(moniker.model_dump())
    assert policy.server_group_name(moniker) == twin.server_group_name(copy)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies, first=monikers(), second=monikers())
def test_distinct_monikers_get_distinct_names(
    policy: NamingPolicy, first: Moniker, second: Moniker
) -> None:
    if first == second:
        assert policy.server_group_name(first) == policy.server_group_name(second)
        return
    if policy.server_group_name(first) == policy.server_group_name(second):
        # Only a hash collision may map two monikers to one name.
        assert first.sequence == second.sequence
        assert _digest(first) == _digest(second)


@given(
    policy=policies,
    app=st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True),
    stack=st.from_regex(r"[a-z0-9]{0,10}", fullmatch=True),
    detail=st.from_regex(r"([a-z0-9]+(-[a-z0-9]+)*)?", fullmatch=True),
    sequence=st.integers(0, 999),
)
def test_names_valid_as_they_are_stay_frigga_names(
    policy: NamingPolicy, app: str, stack: str, detail: str, sequence: int
) -> None:
    moniker = Moniker(app=app, stack=stack, detail=detail[:20], sequence=sequence)
    assert policy.is_lossless(moniker)
    assert policy.server_group_name(moniker) == format_name(moniker)


@given(policy=policies, name=st.text(min_size=1, max_size=300))
def test_resource_names_are_valid_and_deterministic(policy: NamingPolicy, name: str) -> None:
    mapped = policy.resource_name(name)
    assert name_problem(policy, mapped) is None, mapped
    assert mapped == policy.resource_name(name)
    if name_problem(policy, name) is None:
        assert mapped == name  # valid names are kept


@pytest.mark.parametrize("policy", list(POLICIES.values()), ids=list(POLICIES))
def test_lossy_names_carry_a_hash_of_at_least_64_bits(policy: NamingPolicy) -> None:
    moniker = Moniker(app="Chéckout Service!", stack="prod", sequence=3)
    name = policy.server_group_name(moniker)
    assert HASH_LENGTH * 5 >= 64  # base32: 5 bits a character
    assert re.search(rf"-{_digest(moniker)}-v003$", name), name
    assert policy.cluster_name(moniker).endswith(_digest(moniker))


def test_hash_depends_on_the_cluster_not_the_sequence() -> None:
    moniker = Moniker(app="Checkout", sequence=1)
    assert _digest(moniker) == _digest(moniker.with_sequence(2))
    assert _digest(moniker) != _digest(Moniker(app="checkout", sequence=1))


def test_case_variants_are_distinct_under_a_lowercase_policy() -> None:
    gce = POLICIES["gce"]
    names = {gce.server_group_name(Moniker(app=a, sequence=0)) for a in ("app", "App", "APP")}
    assert len(names) == 3
    assert "app-v000" in names


@pytest.mark.parametrize("field", ["app", "stack", "detail"])
def test_lone_surrogates_are_rejected_naming_the_field(field: str) -> None:
    values = {"app": "ok", field: "bad\ud800"}
    with pytest.raises(ValidationError) as caught:
        Moniker.model_validate(values)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_policy_must_allow_the_hash_alphabet_and_not_the_separator() -> None:
    with pytest.raises(ValidationError, match="hash alphabet"):
        NamingPolicy(max_length=63, allowed="a-z")
    with pytest.raises(ValidationError, match="separator"):
        NamingPolicy(max_length=63, allowed="a-z0-9-")
