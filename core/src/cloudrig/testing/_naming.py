"""Whether a name is one a cloud with a given ``NamingPolicy`` accepts.

The core's ``NamingPolicy`` produces names; this is the independent check of the result, used by the
reference provider (to reject names like a strict cloud would) and by the conformance kit.
"""

from __future__ import annotations

import re

from cloudrig.provider._naming_policy import NamingPolicy


def name_problem(policy: NamingPolicy, name: str) -> str | None:
    """Why ``name`` breaks ``policy``, or ``None`` when it is valid."""
    if not name:
        return "the name is empty"
    if len(name) > policy.max_length:
        return f"{len(name)} characters, more than the {policy.max_length} allowed"
    if re.fullmatch(f"[{policy.allowed}-]+", name) is None:
        bad = sorted({c for c in name if re.fullmatch(f"[{policy.allowed}-]", c) is None})
        return f"characters {''.join(bad)!r} are not among [{policy.allowed}-]"
    if policy.lowercase and name != name.lower():
        return "upper case letters in a lowercase-only cloud"
    if policy.must_start_with_letter and not name[0].isalpha():
        return "the name must start with a letter"
    return None


def valid_name(policy: NamingPolicy, name: str) -> bool:
    """Whether ``name`` obeys ``policy`` (the conformance kit checks every name a provider makes)."""
    return name_problem(policy, name) is None
