"""``cloudrig doctor --accounts`` finds the installed provider through its entry point and runs
the GCP account's check (one cheap read) against the emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import PROJECT, REGION

pytestmark = pytest.mark.gcp


def test_doctor_checks_the_gcp_account(gcp_compute: Any, tmp_path: Path) -> None:
    config = tmp_path / "cloudrig.yaml"
    config.write_text(
        "accounts:\n"
        "  gcp-test:\n"
        "    provider: gcp\n"
        f"    project: {PROJECT}\n"
        f"    regions: [{REGION}]\n"
        "    anonymous: true\n"
        f"    api_endpoint: {gcp_compute.endpoint}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cloudrig", "doctor", "--config", str(config), "--accounts"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"project {PROJECT}" in done.stdout
    assert gcp_compute.count("regionInstanceGroupManagers.list") == 1, "one cheap read"
