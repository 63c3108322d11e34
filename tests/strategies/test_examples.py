"""The orchestrator examples under examples/ run as users would run them, and do what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def output() -> dict[str, str]:
    """Each example run once, as ``python examples/NAME``; it must exit 0."""
    outputs = {}
    for script in ("deploy_red_black.py", "deploy_canary.py"):
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / script)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        outputs[script] = result.stdout
    return outputs


def test_red_black_example_deploys_then_rolls_back(output: dict[str, str]) -> None:
    out = output["deploy_red_black.py"]
    assert out.count("succeeded") == 3  # two deployments and the rollback
    assert "scale down checkout-prod-v001 to 0/0/6" in out
    assert "serving after rollback: ['checkout-prod-v001']" in out


def test_canary_example_promotes_the_good_one_and_fails_the_slow_one(
    output: dict[str, str],
) -> None:
    out = output["deploy_canary.py"]
    assert "healthy canary: succeeded; slow canary: failed" in out
    assert "critical metric(s) failed: latency_ms" in out
