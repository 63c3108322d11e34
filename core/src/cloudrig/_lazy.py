"""Lazy exports: a package's ``if TYPE_CHECKING:`` imports are loaded on first attribute access.

A package that wants ``import pkg`` to stay cheap writes its heavy exports once, as ordinary
imports under ``if TYPE_CHECKING:`` (so type checkers and editors see them), and derives the rest::

    if TYPE_CHECKING:
        from pkg.client import Client

    __getattr__, __dir__ = lazy_exports(__name__)

On the first access of a name not yet loaded, the package's own source is read once and the
``TYPE_CHECKING`` block's ``from X import a, b as c`` statements become the table of what loads
from where. A name that table does not have raises the usual ``AttributeError``.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from typing import Any


def _lazy_table(module_name: str) -> dict[str, tuple[str, str]]:
    """``{exported name: (module, attribute)}`` from the module's ``if TYPE_CHECKING:`` block."""
    module = sys.modules[module_name]
    spec = module.__spec__
    loader = getattr(spec, "loader", None)
    source = loader.get_source(module_name) if loader and hasattr(loader, "get_source") else None
    if source is None:
        raise ImportError(f"{module_name}: lazy exports need the package's source to be installed")
    table: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.If) and _is_type_checking(node.test)):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                for alias in stmt.names:
                    table[alias.asname or alias.name] = (stmt.module, alias.name)
    return table


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def lazy_exports(
    module_name: str,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package with lazy exports (see the module doc)."""
    table: dict[str, tuple[str, str]] | None = None

    def __getattr__(name: str) -> Any:
        nonlocal table
        if table is None:
            table = _lazy_table(module_name)
        if name not in table:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        source, attribute = table[name]
        value = getattr(importlib.import_module(source), attribute)
        setattr(sys.modules[module_name], name, value)  # later accesses skip __getattr__
        return value

    def __dir__() -> list[str]:
        nonlocal table
        if table is None:
            table = _lazy_table(module_name)
        return sorted(set(vars(sys.modules[module_name])) | set(table))

    return __getattr__, __dir__
