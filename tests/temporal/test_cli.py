"""The command line on Temporal: ``cloudrig worker --config FILE`` serves, and ``cloudrig deploy``
goes to it when the ``cloudrig_temporal.engine`` plugin is loaded (``CLOUDRIG_PLUGINS``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import AMI_V1, client_config, serving, spec_file, worker_config

pytestmark = pytest.mark.moto


def test_cloudrig_deploy_runs_on_a_cloudrig_worker(
    settings: Any, moto_aws: Any, worker_process: Any, tmp_path: Path
) -> None:
    worker_process()
    worker = worker_config(settings, moto_aws.url, tmp_path)
    config = client_config(worker, tmp_path)  # the deploying side: cloudrig's own configuration
    store = tmp_path / "embedded.sqlite3"
    spec = spec_file(tmp_path, AMI_V1, {"name": "red-black"})
    env = dict(
        os.environ,
        CLOUDRIG_PLUGINS="cloudrig_temporal.engine",
        CLOUDRIG_TEMPORAL_CONFIG=str(worker),
    )
    cli = Path(sys.executable).parent / "cloudrig"
    done = subprocess.run(
        [str(cli), "deploy", str(spec), "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "succeeded" in done.stdout
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert not store.exists(), "the embedded engine never ran"
