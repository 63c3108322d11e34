"""Fixtures of the strategy tests: a fresh deployment world per test (reference cloud, virtual
clock, SQLite state store in tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from strategies.world import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()
