"""The template installs like a third party's package, and cloudrig finds it by its entry point.

It is built and installed by pip (``--no-deps --target``) into a temporary folder, then a fresh
interpreter that sees only that folder, the core's sources and the third-party libraries —
without the site machinery, so the repository's editable install of the template cannot stand in
for it — must find the provider through the ``cloudrig`` entry-point group.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "examples" / "provider-template"

PROBE = r"""
import importlib.metadata, json, sys
import cloudrig
import cloudrig._plugins
registry = cloudrig._plugins.PluginRegistry(environment=False)
eps = [ep for ep in importlib.metadata.entry_points(group="cloudrig") if ep.name == "example"]
entry = registry.providers["example"]
httpx_after_listing = "httpx" in sys.modules
implementation = registry.implementation("example")
import cloudrig_example
print(json.dumps({
    "entry_points": [[ep.value, str(ep.dist.locate_file(""))] for ep in eps],
    "distribution": entry.distribution,
    "capabilities": entry.descriptor.capabilities.as_json(),
    "failures": [str(f) for f in registry.failures],
    "httpx_after_listing": httpx_after_listing,
    "implementation": f"{implementation.__module__}.{implementation.__qualname__}",
    "package_file": cloudrig_example.__file__,
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("third-party-site")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(TEMPLATE)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"pip could not install the template:\n{done.stderr}"
    return target


def _probe(target: Path) -> dict[str, object]:
    path = [str(target), str(ROOT / "core" / "src"), sysconfig.get_paths()["purelib"]]
    done = subprocess.run(
        [sys.executable, "-S", "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path), "CLOUDRIG_PLUGINS": ""},
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_installed_template_is_found_by_its_entry_point(installed: Path) -> None:
    found = _probe(installed)
    assert found["entry_points"] == [["cloudrig_example.plugin", str(installed)]]
    assert found["distribution"] == "cloudrig-example"
    # Other editable distributions of the workspace cannot load without the site machinery;
    # only the template's own failures matter here.
    failures = found["failures"]
    assert isinstance(failures, list)
    assert [f for f in failures if "example" in f] == []
    assert found["implementation"] == "cloudrig_example.provider.ExampleProvider"
    assert str(found["package_file"]).startswith(str(installed))
    capabilities = found["capabilities"]
    assert isinstance(capabilities, dict)
    assert capabilities["traffic_split"] == "exact"
    assert capabilities["max_weighted_groups"] == 4


def test_listing_providers_does_not_import_the_http_client(installed: Path) -> None:
    assert _probe(installed)["httpx_after_listing"] is False


def test_the_wheel_ships_the_typing_marker(installed: Path) -> None:
    assert (installed / "cloudrig_example" / "py.typed").is_file()
