"""The installed distribution is what users get: cloudrig finds the provider through its entry
point, lists it without importing the HTTP client, and loads an implementation that fulfils the
contract (every reference of the descriptor resolved). Run after ``pip install -e .`` (or from a
built wheel): it asks the environment, in a fresh interpreter, exactly what ``cloudrig providers``
and ``cloudrig.connect`` would.
"""

from __future__ import annotations

import json
import subprocess
import sys

from cloudrig_example.plugin import DESCRIPTOR

PROBE = """
import json, sys
from cloudrig._plugins import PluginRegistry
registry = PluginRegistry()
entry = registry.providers.get(sys.argv[1])
listed = sorted(sys.modules)
answer = {
    "listed": entry is not None,
    "distribution": entry.distribution if entry else None,
    "failures": [str(f) for f in registry.failures],
    "loaded_while_listing": listed,
}
if entry is not None:
    cls = registry.implementation(sys.argv[1])
    answer["implementation"] = f"{cls.__module__}:{cls.__qualname__}"
print(json.dumps(answer))
"""


def _probe() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, DESCRIPTOR.name],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_the_entry_point_lists_the_provider_from_its_distribution() -> None:
    answer = _probe()
    assert answer["listed"], f"provider {DESCRIPTOR.name!r} not found: {answer['failures']}"
    assert answer["distribution"] == "cloudrig-example"
    assert answer["failures"] == []


def test_listing_imports_neither_the_http_client_nor_pydantic() -> None:
    loaded = {name.split(".")[0] for name in _probe()["loaded_while_listing"]}  # type: ignore[union-attr]
    assert {"httpx", "pydantic"} & loaded == set()


def test_the_implementation_loads_and_fulfils_the_contract() -> None:
    assert _probe()["implementation"] == DESCRIPTOR.implementation
