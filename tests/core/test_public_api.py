"""The public API resolves: ``typing.get_type_hints`` works on every public callable (so editors,
pydantic and documentation tools can read every signature), and every cloudrig name the docs
mention exists."""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = (
    "cloudrig",
    "cloudrig.provider",
    "cloudrig.engine",
    "cloudrig.strategies",
    "cloudrig.ratelimit",
    "cloudrig.canary",
    "cloudrig.testing",
)
DOCS = (ROOT / "README.md", ROOT / "core" / "README.md", *sorted((ROOT / "docs").glob("*.md")))
# Packages whose names the docs may mention besides cloudrig's own (the template they describe).
DOCUMENTED_PACKAGES = (
    "cloudrig_example",
    "cloudrig_example.naming",
    "cloudrig_example.plugin",
    "cloudrig_example.provider",
    "example_cloud",
)
# Names the docs mention that belong to the clouds or libraries, not to cloudrig.
FOREIGN = {
    "AddToLoadBalancer",
    "SecretStr",
    "None",
    "MAJOR",
    "ClientToken",
    "README",
    "Throttling",
    "GetMetricData",
    "Authorization",
    "ExternalId",
}


def public_callables() -> Iterator[tuple[str, Any]]:
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module_name}.{name}", obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(value, property) and value.fget is not None:
                        value = value.fget
                    if inspect.isfunction(value):
                        yield f"{module_name}.{name}.{attr}", value


CALLABLES = list(public_callables())


@pytest.mark.parametrize(
    "obj", [obj for _, obj in CALLABLES], ids=[label for label, _ in CALLABLES]
)
def test_type_hints_resolve(obj: Any) -> None:
    typing.get_type_hints(obj)


def known_names() -> set[str]:
    known: set[str] = set()
    for module_name in (*PUBLIC, "cloudrig.testing.conformance", *DOCUMENTED_PACKAGES):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", None) or dir(module):
            known.add(name)
            obj = getattr(module, name, None)
            if inspect.isclass(obj):
                known.update(k for k in dir(obj) if not k.startswith("_"))
    return known


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_name_the_docs_mention_exists() -> None:
    known = known_names()
    missing: list[str] = []
    for doc in DOCS:
        for code in re.findall(r"`([^`\n]+)`", doc.read_text(encoding="utf-8")):
            for dotted in re.findall(r"\bcloudrig(?:\.[A-Za-z_]\w*)+", code):
                if not resolves(dotted):
                    missing.append(f"{doc.relative_to(ROOT)}: {dotted}")
            for name in re.findall(r"^([A-Z][A-Za-z0-9]+)(?:\(|$|\.)", code):
                if name not in known and name not in FOREIGN:
                    missing.append(f"{doc.relative_to(ROOT)}: {name}")
    assert missing == []
