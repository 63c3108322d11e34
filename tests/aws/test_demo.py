"""The AWS demo runs end to end: v001 then v002 deployed red/black through the CLI on an embedded
moto server, the cluster table at the end, well under a minute."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.moto, pytest.mark.slow]
DEMO = Path(__file__).resolve().parents[2] / "providers" / "aws" / "demo.py"


def test_demo_deploys_v001_then_v002_red_black() -> None:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(DEMO)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "COLUMNS": "160"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert out.count("succeeded") >= 4, out  # two events + two status lines
    assert "traffic: shop-prod-v002 100%" in out
    table = out.rsplit("$ cloudrig cluster show", 1)[1]
    rows = {line.split()[0]: line for line in table.splitlines() if "shop-prod-v0" in line}
    assert "disabled" in rows["shop-prod-v001"]
    assert "enabled" in rows["shop-prod-v002"]
    assert "disabled" not in rows["shop-prod-v002"]
    assert time.monotonic() - started < 60
