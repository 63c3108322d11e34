"""Invalid specs give ONE clear error naming the field (and, once the spec reaches an account, the
account): capacity min > max and an empty app name fail in the model itself; provider settings and
regions are checked by ``Account.validate_spec`` against the account."""

from __future__ import annotations

from typing import Any

import pytest
from plugins.fakesite import FakeSite
from pydantic import ValidationError

import cloudrig
from cloudrig import InvalidSpec, ServerGroupSpec


def spec_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "moniker": {"app": "checkout", "stack": "prod"},
        "account": "dev",
        "region": "eu-1",
        "artifact": "img-1",
        "capacity": {"min": 1, "desired": 2, "max": 3},
    }
    data.update(changes)
    return data


def test_min_above_max_is_one_error_on_capacity() -> None:
    with pytest.raises(ValidationError) as caught:
        ServerGroupSpec.model_validate(spec_data(capacity={"min": 4, "desired": 3, "max": 2}))
    errors = caught.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == ("capacity",)
    assert "min <= desired <= max, got min=4, desired=3, max=2" in errors[0]["msg"]


@pytest.mark.parametrize("app", ["", "   "])
def test_empty_app_name_is_one_error_on_moniker_app(app: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ServerGroupSpec.model_validate(spec_data(moniker={"app": app}))
    errors = caught.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == ("moniker", "app")
    assert "app must not be empty" in errors[0]["msg"]


@pytest.fixture
def account(installed_site: FakeSite) -> cloudrig.Account:
    installed_site.provider_distribution("cloudrig-empty", "emptyplug", "empty")
    rig = cloudrig.connect({"accounts": {"dev": {"provider": "empty", "regions": ["eu-1"]}}})
    return rig.account("dev")


def test_unknown_provider_setting_names_account_and_field(account: cloudrig.Account) -> None:
    spec = ServerGroupSpec.model_validate(spec_data(settings={"instance_type": "m5.large"}))
    with pytest.raises(InvalidSpec) as caught:
        account.validate_spec(spec)
    assert str(caught.value) == (
        "account 'dev', server group settings, field 'instance_type': unknown field"
    )


def test_region_outside_the_account_names_account_and_field(account: cloudrig.Account) -> None:
    spec = ServerGroupSpec.model_validate(spec_data(region="us-west-9"))
    with pytest.raises(InvalidSpec) as caught:
        account.validate_spec(spec)
    assert str(caught.value) == (
        "account 'dev', field 'region': 'us-west-9' is not one of the account's regions (eu-1)"
    )
