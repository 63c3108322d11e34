"""Declarative deployment specs: the example validates against ``cloudrig schema`` and loads into
the library's models; mistakes name their field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli.clirun import invoke

from cloudrig import ConfigError
from cloudrig.engine._spec import load_deploy_spec
from cloudrig.strategies import BUILTIN, RollingRedBlack

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deploy_spec.yaml"


def test_the_example_validates_against_the_printed_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(invoke(["schema"]).output)
    data = yaml.safe_load(EXAMPLE.read_text())
    jsonschema.validate(data, schema)
    wrong = {**data, "strategy": {"name": "rolling-red-black", "steps": "fast"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


def test_the_example_loads_into_the_models() -> None:
    spec, strategy = load_deploy_spec(EXAMPLE, BUILTIN)
    assert spec.moniker.cluster == "checkout-prod"
    assert spec.capacity.desired == 4
    assert spec.settings == {"instance_type": "standard"}
    assert isinstance(strategy, RollingRedBlack)
    assert strategy.steps_percent == (10, 50, 100)
    assert strategy.step_delay == 300
    assert strategy.approvals == ("shift-100",)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"capacity": {"min": 5, "desired": 4, "max": 8}}, "capacity"),
        ({"cluster": {"stack": "prod"}}, "cluster.app"),
        ({"colour": "blue"}, "colour"),
        ({"strategy": {"name": "red-black", "scale_down_after": "soon"}}, "scale_down_after"),
    ],
)
def test_mistakes_name_the_field(tmp_path: Path, change: dict[str, object], field: str) -> None:
    data = {**yaml.safe_load(EXAMPLE.read_text()), **change}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_deploy_spec(path, BUILTIN)
    assert any(field in location for location, _ in caught.value.problems), caught.value.problems
