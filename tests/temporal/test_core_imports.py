"""The core never imports Temporal: connecting, the engine and the whole command line (which
finds cloudrig-temporal's ``worker`` command) load no ``temporalio`` module; only loading the
``cloudrig_temporal.engine`` plugin does."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import cloudrig, cloudrig.engine, cloudrig._cli
cloudrig.connect({"accounts": {}}).deployments  # the rig, its plugins and hooks
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "temporalio")
print(",".join(loaded[:5]))
"""


def test_the_core_and_its_command_line_import_no_temporal() -> None:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"temporalio imported: {done.stdout}"


def test_the_engine_plugin_imports_it() -> None:
    check = CHECK.replace(
        '{"accounts": {}}', '{"accounts": {}}, plugins=["cloudrig_temporal.engine"]'
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "temporalio" in done.stdout, "the check sees an import when there is one"
