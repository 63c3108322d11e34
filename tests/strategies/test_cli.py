"""The deployment commands, in process, against the reference provider loaded by name (``-p``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli.clirun import invoke, reference_cli, reference_config, reference_spec

from cloudrig.provider import MUTATING
from cloudrig.testing import ReferenceCloud

CLOUD = "cli-deploy"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path, reference_config(tmp_path, CLOUD)


def cli(config: Path, *args: str) -> object:
    return reference_cli(config, *args)


def spec(tmp: Path, artifact: str, strategy: str = "{name: red-black, max_remaining: 2}") -> Path:
    return reference_spec(tmp, artifact, strategy)


def test_deploy_then_show_the_cluster(files: tuple[Path, Path]) -> None:
    tmp, config = files
    first = cli(config, "deploy", str(spec(tmp, "img-0")))
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    out = cli(config, "deploy", str(spec(tmp, "img-1"))).output  # type: ignore[attr-defined]
    assert "created" in out
    assert "traffic_moved" in out
    assert "succeeded" in out
    shown = cli(config, "cluster", "show", "test", "shop-prod").output  # type: ignore[attr-defined]
    assert "shop-prod-v002" in shown
    assert "enabled" in shown
    assert "100%" in shown
    assert "2/2" in shown


def test_dry_run_makes_no_mutating_call_and_no_record(files: tuple[Path, Path]) -> None:
    tmp, config = files
    assert cli(config, "deploy", str(spec(tmp, "img-0"))).exit_code == 0  # type: ignore[attr-defined]
    cloud = ReferenceCloud.get(CLOUD)
    before = len([e for e in cloud.calls() if e.operation in MUTATING])
    result = cli(
        config,
        "deploy",
        str(spec(tmp, "img-1", "{name: rolling-red-black, steps: [20, 100]}")),
        "--dry-run",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "shift-20" in result.output  # type: ignore[attr-defined]
    assert "nothing was changed" in result.output  # type: ignore[attr-defined]
    after = len([e for e in cloud.calls() if e.operation in MUTATING])
    assert after == before
    listed = cli(config, "deployments", "--all").output  # type: ignore[attr-defined]
    assert listed.count("succeeded") == 1  # only the real deployment is recorded


def test_approval_then_promote_and_deployments_listing(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    paused = cli(
        config, "deploy", str(spec(tmp, "img-1", "{name: red-black, approvals: [disable-old]}"))
    )
    assert "approval_needed" in paused.output  # type: ignore[attr-defined]
    listing = cli(config, "deployments").output  # type: ignore[attr-defined]
    assert "awaiting_approval" in listing
    deployment_id = next(w for w in listing.split() if w.startswith("d") and len(w) == 16)
    promoted = cli(config, "promote", deployment_id)
    assert promoted.exit_code == 0, promoted.output  # type: ignore[attr-defined]
    assert "succeeded" in promoted.output  # type: ignore[attr-defined]


def test_rollback_command(files: tuple[Path, Path]) -> None:
    tmp, config = files
    cli(config, "deploy", str(spec(tmp, "img-0")))
    cli(config, "deploy", str(spec(tmp, "img-1")))
    result = cli(config, "rollback", "test", "shop-prod", "--yes")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "rolling back from shop-prod-v002 to shop-prod-v001" in result.output  # type: ignore[attr-defined]


def test_drain_switch(files: tuple[Path, Path]) -> None:
    _, config = files
    assert "drain on" in cli(config, "drain", "on").output  # type: ignore[attr-defined]
    assert "draining" in cli(config, "deployments").output  # type: ignore[attr-defined]
    assert "drain off" in cli(config, "drain", "off").output  # type: ignore[attr-defined]


def test_spec_errors_name_the_field(files: tuple[Path, Path]) -> None:
    tmp, config = files
    bad = spec(tmp, "img-0", "{name: red-black, max_remaining: 1}")
    result = cli(config, "deploy", str(bad))
    assert result.exit_code == 1
    assert "strategy" in result.output
    assert "max_remaining" in result.output
    unknown = cli(config, "deploy", str(spec(tmp, "img-1", "{name: purple}")))
    assert "unknown strategy 'purple'" in unknown.output  # type: ignore[attr-defined]


def test_schema_lists_every_strategy() -> None:
    result = invoke(["schema"])
    schema = json.loads(result.output)
    names = {
        choice["properties"]["name"]["const"]
        for choice in schema["properties"]["strategy"]["oneOf"]
    }
    assert {"highlander", "red-black", "rolling-red-black", "canary", "rollback"} <= names
    assert set(schema["required"]) >= {"account", "region", "cluster", "artifact", "capacity"}


def test_a_retried_deploy_with_the_same_idempotency_key_starts_nothing(
    files: tuple[Path, Path],
) -> None:
    """A pipeline that lost the answer of its deploy step retries it with the same key: the
    answer is the first deployment, and no third version appears."""
    tmp, config = files
    assert cli(config, "deploy", str(spec(tmp, "img-0"))).exit_code == 0  # type: ignore[attr-defined]
    first = cli(config, "deploy", str(spec(tmp, "img-1")), "--idempotency-key", "run-7/deploy")
    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    again = cli(config, "deploy", str(spec(tmp, "img-1")), "--idempotency-key", "run-7/deploy")
    assert again.exit_code == 0, again.output  # type: ignore[attr-defined]
    shown = cli(config, "cluster", "show", "test", "shop-prod").output  # type: ignore[attr-defined]
    assert "shop-prod-v002" in shown
    assert "shop-prod-v003" not in shown
    names = [name for (_, name) in ReferenceCloud.get(CLOUD).groups]
    assert sorted(names) == ["shop-prod-v001", "shop-prod-v002"]
