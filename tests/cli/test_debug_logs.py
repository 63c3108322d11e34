"""``cloudrig --debug`` (and ``-v``): logs on stderr — every library's at debug, botocore's
included — with no secret in them: a deployment on EC2 (moto over HTTP) whose static keys are
marker values prints botocore's requests but never the markers.

It runs the console command in a subprocess, as a user would: logging is process-wide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .clirun import write
from .test_dry_run_aws import CONFIG, SPEC

pytestmark = pytest.mark.moto

KEY, SECRET = "AKIAMARKERKEY7F3A9C", "MARKER-secret-5d1e-never-logged"


def cloudrig(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudrig", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def deploy(tmp_path: Path, moto_aws: Any, *flags: str) -> subprocess.CompletedProcess[str]:
    """``cloudrig FLAGS deploy`` of a first version on moto, its keys the marker values."""
    env = {**os.environ, "DBG_KEY": KEY, "DBG_SECRET": SECRET, "COLUMNS": "120"}
    config = write(
        tmp_path,
        CONFIG.format(url=moto_aws.url, key="DBG_KEY", secret="DBG_SECRET",
                      state=tmp_path / "d.sqlite3"),
    )  # fmt: skip
    ami = moto_aws.client("ec2").describe_images()["Images"][0]["ImageId"]
    spec = write(tmp_path, SPEC.format(ami=ami), "v1.yaml")
    done = cloudrig(*flags, "deploy", str(spec), "--config", str(config), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_debug_logs_every_library_and_no_secret(tmp_path: Path, moto_aws: Any) -> None:
    done = deploy(tmp_path, moto_aws, "--debug")
    assert "DEBUG botocore" in done.stderr  # the SDK's own loggers are on
    assert "cloudrig" in done.stderr
    for marker in (KEY, SECRET):
        assert marker not in done.stderr
        assert marker not in done.stdout


def test_verbose_logs_the_deployments_progress_and_no_library(
    tmp_path: Path, moto_aws: Any
) -> None:
    done = deploy(tmp_path, moto_aws, "-v")
    assert "INFO cloudrig.engine: deployment " in done.stderr
    assert "created dryrun-prod-v001" in done.stderr
    assert "botocore" not in done.stderr
    assert SECRET not in done.stderr + done.stdout
