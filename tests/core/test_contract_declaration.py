"""The contract is declared once (the nouns' ``@operation`` methods) and everything else is derived:
``OPERATIONS``/``MUTATING``, ``contract_problems``, ``Account``'s guarded nouns; and the public
modules each export a name with one meaning."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig.provider import (
    MUTATING,
    NOUNS,
    OPERATIONS,
    Decision,
    ServerGroups,
    contract_problems,
)
from cloudrig.testing import REFERENCE_CAPABILITIES, ReferenceProvider, reference_plugin

PUBLIC_MODULES = (
    "cloudrig",
    "cloudrig.provider",
    "cloudrig.engine",
    "cloudrig.strategies",
    "cloudrig.ratelimit",
    "cloudrig.canary",
    "cloudrig.testing",
)


def declared_methods(cls: type) -> set[str]:
    return {name for name, fn in vars(cls).items() if hasattr(fn, "__cloudrig_operation__")}


def test_operations_are_exactly_the_marked_methods_of_the_nouns() -> None:
    derived = {(op.noun, op.method) for op in OPERATIONS}
    marked = {(noun, m) for noun, cls in NOUNS.items() for m in declared_methods(cls)}
    assert derived == marked | {("", "check")}
    assert len({op.name for op in OPERATIONS}) == len(OPERATIONS)
    assert {op.name for op in OPERATIONS if op.mutating} == MUTATING
    for op in OPERATIONS:
        assert op.mutating == (op.resource is not None), op.name


def test_every_operation_signature_is_the_nouns_own() -> None:
    for op in OPERATIONS:
        params = list(op.signature().parameters)
        assert params[0] == "self", op.name


@pytest.fixture
def account() -> cloudrig.Account:
    rig = cloudrig.connect(
        {"accounts": {"ref": {"provider": "reference", "regions": ["reference-1"]}}},
        plugins=[reference_plugin()],
        entry_points=False,
    )
    return rig.account("ref")


def test_the_accounts_guarded_nouns_offer_each_operation_of_their_noun(
    account: cloudrig.Account,
) -> None:
    for noun, cls in NOUNS.items():
        guarded = getattr(account, noun)
        assert set(dir(guarded)) == declared_methods(cls), noun
        with pytest.raises(AttributeError, match="has no operation"):
            guarded.not_an_operation  # noqa: B018


def test_every_mutating_operation_is_authorized_with_its_resource() -> None:
    asked: list[tuple[str, str]] = []

    class Deny:
        @cloudrig.provider.hookimpl
        def cloudrig_authorize(
            self, principal: str | None, action: str, account: str, resource: str
        ) -> Decision:
            asked.append((action, resource))
            return Decision(allowed=False, reason="read-only")

    rig = cloudrig.connect(
        {"accounts": {"ref": {"provider": "reference", "regions": ["reference-1"]}}},
        plugins=[reference_plugin(), Deny()],
        entry_points=False,
    )
    account = rig.account("ref")
    calls: dict[str, Any] = {
        "resize_server_group": lambda: account.server_groups.resize(
            "reference-1", "shop-v001", cloudrig.Capacity.fixed(1)
        ),
        "enable_server_group": lambda: account.server_groups.enable("reference-1", "shop-v001"),
        "disable_server_group": lambda: account.server_groups.disable("reference-1", "shop-v001"),
        "destroy_server_group": lambda: account.server_groups.destroy("reference-1", "shop-v001"),
        "delete_load_balancer": lambda: account.load_balancers.delete("reference-1", "web"),
        "delete_security_group": lambda: account.security_groups.delete("reference-1", "web"),
        "set_traffic_weights": lambda: account.traffic.set_weights(
            "reference-1", cloudrig.TrafficWeights(weights={"a-v001": 50, "a-v002": 50})
        ),
    }
    for name, call in calls.items():
        with pytest.raises(cloudrig.AuthorizationDenied, match=name):
            call()
    resources = dict(asked)
    assert resources["set_traffic_weights"] == "a-v001,a-v002"
    assert resources["destroy_server_group"] == "shop-v001"


class PartialServerGroups(ServerGroups[Any]):
    """Implements none of its operations."""


class PartialProvider(ReferenceProvider):
    server_groups: PartialServerGroups  # type: ignore[assignment]


def test_contract_problems_name_an_undeclared_noun_and_an_unimplemented_operation() -> None:
    caps = REFERENCE_CAPABILITIES
    problems = contract_problems(PartialProvider, caps)
    assert "operation create_server_group is not implemented" in problems
    assert "operation get_health is not implemented" in problems
    assert contract_problems(ReferenceProvider, caps) == []


def test_adding_an_operation_to_a_noun_is_seen_everywhere() -> None:
    """One marked method on a noun: the account guards it and the kit-facing table lists it."""
    from cloudrig.provider._contract import _declared, operation

    class Extended(ServerGroups[Any]):
        @operation("restart_server_group", mutating=True, resource=lambda a: a["name"])
        def restart(self, region: str, name: str) -> None:
            """Restart every instance of the group."""

    ops = _declared("server_groups", Extended)
    assert [(op.name, op.method, op.mutating) for op in ops] == [
        ("restart_server_group", "restart", True)
    ]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_exported_name_resolves_and_has_a_docstring_home(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert getattr(mod, name) is not None or name.isupper(), f"{module}.{name}"


def test_no_name_is_exported_twice_with_two_meanings() -> None:
    seen: dict[str, tuple[str, object]] = {}
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            value = getattr(mod, name)
            if name in seen:
                other, first = seen[name]
                assert value is first, f"{name}: {other} and {module} export different things"
                pytest.fail(f"{name} is exported by both {other} and {module}")
            seen[name] = (module, value)


def test_lazy_exports_load_on_first_use_and_list_in_dir() -> None:
    assert "connect" in dir(cloudrig)
    assert inspect.isfunction(cloudrig.connect)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        cloudrig.nothing_here  # type: ignore[attr-defined]  # noqa: B018


def expected_docs_table() -> list[tuple[str, str, str]]:
    return [(op.method, op.name, "yes" if op.mutating else "") for op in OPERATIONS]


def test_the_docs_operations_table_is_the_declaration() -> None:
    """docs/writing-a-provider.md lists every operation in declaration order, with its method, its
    contract name and whether it is mutating; a change to the contract fails here until the table
    follows (the message prints the rows to paste)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "writing-a-provider.md").read_text()
    rows = []
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+\(.*\)`", cells[1]):
            method = cells[1].strip("`").split("(")[0]
            rows.append((method, cells[2].strip("`"), cells[3]))
    expected = expected_docs_table()
    assert rows == expected, "\n".join(f"| | `{m}(…)` | `{n}` | {mu} |" for m, n, mu in expected)
