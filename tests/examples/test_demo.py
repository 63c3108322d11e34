"""`make demo` works: the demo script runs the red/black by hand and shows the resulting cluster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_demo_deploys_v001_then_v002_and_disables_v001() -> None:
    env = {**os.environ, "COLUMNS": "120"}  # rich wraps the table to the terminal width
    done = subprocess.run(
        [sys.executable, str(DEMO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    order = [out.index(f"created shop-demo-{v}") for v in ("v001", "v002")]
    assert order == sorted(order), out
    assert out.index("disabled shop-demo-v001") > order[1], out
    rows = {
        line.split("│")[1].strip(): line for line in out.splitlines() if "│ shop-demo-v" in line
    }
    assert set(rows) == {"shop-demo-v001", "shop-demo-v002"}, out
    assert "disabled" in rows["shop-demo-v001"]
    assert "enabled" in rows["shop-demo-v002"]
    assert "2/2" in rows["shop-demo-v002"], "the new group's instances are all up"
    assert "Traceback" not in done.stderr
