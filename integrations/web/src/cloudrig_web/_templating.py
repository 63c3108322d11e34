"""Jinja filters of the pages: numbers as ``cloudrig deployments show`` prints them."""

from __future__ import annotations

import math

from jinja2 import Environment


def number(value: object) -> str:
    """A median: 3 significant digits, ``-`` when absent."""
    return f"{value:.3g}" if isinstance(value, int | float) else "-"


def change(ratio: object) -> str:
    """A canary/baseline ratio as a signed percent change, ``-`` when absent or infinite."""
    if isinstance(ratio, int | float) and math.isfinite(ratio):
        return f"{(ratio - 1) * 100:+.0f}%"
    return "-"


def add_filters(env: Environment) -> None:
    env.filters["number"] = number
    env.filters["change"] = change
