"""A broken plugin is reported with its distribution, entry point and error, and never hides the
others: ``cloudrig providers`` still lists them (exit 0), ``cloudrig doctor`` names the problem
(exit 1). Each CLI runs in a subprocess against fake distributions on PYTHONPATH."""

from __future__ import annotations

import pytest

from plugins.fakesite import FakeSite


@pytest.fixture
def good(site: FakeSite) -> FakeSite:
    site.provider_distribution("cloudrig-good", "goodcloud", "good")
    return site


def test_entry_point_raising_on_import_is_isolated(good: FakeSite) -> None:
    good.module("boom", 'raise RuntimeError("boom: this plugin cannot be imported")\n')
    good.distribution("cloudrig-broken", {"broken": "boom"}, version="0.3")

    listing = good.run("providers")
    assert listing.returncode == 0, listing.stderr
    assert "good" in listing.stdout
    assert "cloudrig-good" in listing.stdout
    assert "cloudrig-broken (entry point boom): RuntimeError: boom" in listing.stderr

    doctor = good.run("doctor")
    assert doctor.returncode == 1
    assert "✓ cloudrig-good 1.0 (plugin goodcloud): providers good" in doctor.stdout
    assert "✓ good (cloudrig-good 1.0)" in doctor.stdout
    assert "plugin cloudrig-broken (entry point boom): RuntimeError: boom" in doctor.stdout
    assert "1 problem(s) found" in doctor.stderr


@pytest.mark.parametrize(
    ("hook_body", "error"),
    [
        ('return ["not a descriptor"]', "returned str, expected ProviderDescriptor"),
        ('raise KeyError("region table")', "KeyError: 'region table'"),
    ],
    ids=["non-descriptor", "hook-raises"],
)
def test_bad_provider_hook_is_isolated(good: FakeSite, hook_body: str, error: str) -> None:
    good.module(
        "badhook",
        f"""
        from cloudrig.provider import hookimpl

        @hookimpl
        def cloudrig_providers():
            {hook_body}
        """,
    )
    good.distribution("cloudrig-badhook", {"badhook": "badhook"})

    listing = good.run("providers", "--json")
    assert listing.returncode == 0, listing.stderr
    assert '"name": "good"' in listing.stdout
    assert "cloudrig-badhook (entry point badhook)" in listing.stderr
    assert error in listing.stderr

    doctor = good.run("doctor")
    assert doctor.returncode == 1
    assert "plugin cloudrig-badhook (entry point badhook): " in doctor.stdout
    assert error in doctor.stdout


def test_two_plugins_claiming_one_provider_name(site: FakeSite) -> None:
    site.provider_distribution("cloudrig-twin-a", "twin_a", "twin")
    site.provider_distribution("cloudrig-twin-b", "twin_b", "twin")

    listing = site.run("providers", "--json")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.count('"name": "twin"') == 1
    assert "provider name 'twin' is already provided by cloudrig-twin-" in listing.stderr

    doctor = site.run("doctor")
    assert doctor.returncode == 1
    assert "provider name 'twin' is already provided by cloudrig-twin-" in doctor.stdout


def test_implementation_that_cannot_be_imported(good: FakeSite) -> None:
    good.provider_distribution(
        "cloudrig-ghost", "ghostcloud", "ghost", implementation="ghost_sdk_wrapper:GhostCloud"
    )

    listing = good.run("providers")  # listing never imports implementations
    assert listing.returncode == 0, listing.stderr
    assert "ghost" in listing.stdout
    assert "ghost" not in listing.stderr

    doctor = good.run("doctor")
    assert doctor.returncode == 1
    assert (
        "provider 'ghost' (cloudrig-ghost 1.0): cannot import implementation "
        "ghost_sdk_wrapper:GhostCloud: ModuleNotFoundError" in doctor.stdout
    )
    assert "✓ good (cloudrig-good 1.0)" in doctor.stdout
