"""`pip install ./core` alone works and never pulls a cloud SDK (docs/architecture.md §1).

A fresh virtual environment without the workspace's packages gets only the core distribution from
its folder, as a user installing ``cloudrig`` would; then the CLI runs and the environment is checked
for cloud SDKs. Needs PyPI (or pip's cache) for the core's own dependencies, as CI has.
"""

from __future__ import annotations

import json
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOUD_SDKS = ("boto3", "botocore", "google-cloud-compute", "google-api-core", "kubernetes")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def core_only_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("core-only") / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(ROOT / "core"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"pip install ./core failed:\n{result.stdout}\n{result.stderr}"
    return env_dir


def test_core_alone_installs_no_cloud_sdk(core_only_env: Path) -> None:
    listing = subprocess.run(
        [str(core_only_env / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"].lower() for p in json.loads(listing.stdout)}
    assert "cloudrig" in installed
    assert not installed & set(CLOUD_SDKS), f"cloud SDKs pulled in: {installed & set(CLOUD_SDKS)}"


def test_core_alone_cli_lists_no_providers_and_doctor_is_clean(core_only_env: Path) -> None:
    cli = core_only_env / "bin" / "cloudrig"
    providers = subprocess.run([str(cli), "providers"], capture_output=True, text=True)
    assert providers.returncode == 0, providers.stderr
    assert "No providers installed" in providers.stdout
    doctor = subprocess.run([str(cli), "doctor"], capture_output=True, text=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_core_alone_runs_the_reference_provider_by_name(core_only_env: Path) -> None:
    """The reference provider ships in the core (cloudrig.testing) and loads with -p, never by
    entry point; without the [testing] extra it still lists (it needs no pytest)."""
    cli = core_only_env / "bin" / "cloudrig"
    listed = subprocess.run(
        [str(cli), "-p", "cloudrig.testing.reference", "providers", "--json"],
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    names = [p["name"] for p in json.loads(listed.stdout)["providers"]]
    assert names == ["reference"]
