"""Every public class and method documents itself: ``help()`` and editors show its own docstring,
never an empty one or a generic one inherited from pydantic, ``object`` or ``typing``.

Walked: the orchestrator's API (``cloudrig``), the provider author's (``cloudrig.provider``), the
kits (``cloudrig.testing``), the limiter (``cloudrig.ratelimit``), the engine and strategy authors'
(``cloudrig.engine``, ``cloudrig.strategies``) and the canary judges' (``cloudrig.canary``). A method may inherit its
docstring from a cloudrig class it implements (``LocalBackend.reserve`` from ``Backend.reserve``);
a class may not.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

MODULES = (
    "cloudrig",
    "cloudrig.provider",
    "cloudrig.testing",
    "cloudrig.ratelimit",
    "cloudrig.engine",
    "cloudrig.strategies",
    "cloudrig.canary",
)
GENERIC = {
    inspect.getdoc(BaseModel),
    inspect.getdoc(object),
    inspect.getdoc(dict),
    inspect.getdoc(typing.Protocol),
    inspect.getdoc(typing.Generic),
}


def documented_things() -> Iterator[tuple[str, str | None]]:
    """(dotted name, its docstring) of every public class, function, method and property."""
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj.__doc__
            if not inspect.isclass(obj):
                continue
            yield f"{module_name}.{name}", obj.__dict__.get("__doc__")
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(value, property):
                    yield f"{module_name}.{name}.{attr}", value.__doc__
                elif inspect.isfunction(inspect.unwrap(getattr(value, "__func__", value))):
                    yield f"{module_name}.{name}.{attr}", inspect.getdoc(getattr(obj, attr))


THINGS = sorted(set(documented_things()), key=lambda thing: thing[0])


def test_the_walk_sees_the_public_api() -> None:
    names = {name for name, _ in THINGS}
    assert {"cloudrig.Rig.deploy", "cloudrig.provider.ServerGroups.create",
            "cloudrig.testing.ConformanceTarget", "cloudrig.ratelimit.Limiter.acquire",
            "cloudrig.engine.Run.create", "cloudrig.strategies.RedBlack",
            "cloudrig.canary.MannWhitneyJudge.judge"} <= names  # fmt: skip
    assert len(names) > 450


@pytest.mark.parametrize(("name", "doc"), THINGS, ids=[name for name, _ in THINGS])
def test_it_has_a_docstring_of_its_own(name: str, doc: Any) -> None:
    assert isinstance(doc, str), f"{name} has no docstring"
    assert doc.strip(), f"{name} has an empty docstring"
    assert inspect.cleandoc(doc) not in GENERIC, f"{name} shows a generic inherited docstring"
