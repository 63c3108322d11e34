"""Listing providers imports no cloud SDK, whatever is installed.

A fake provider whose implementation imports botocore (standing in for any cloud SDK) is installed
next to every real one: ``cloudrig providers`` must list it without importing any SDK, while
``cloudrig doctor``, which imports implementations, does import botocore, which proves that the
import-time detection really sees such imports.
"""

from __future__ import annotations

import pytest

from plugins.fakesite import FAKE_PROVIDER, FakeSite

CLOUD_SDKS = ("boto3", "botocore", "google", "kubernetes")


def imported_modules(stderr: str) -> set[str]:
    """Module names from ``python -X importtime`` output (``import time: self | cumulative | name``)."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name)
    return names


def sdk_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in CLOUD_SDKS}


@pytest.fixture
def heavy(site: FakeSite) -> FakeSite:
    pytest.importorskip("botocore", reason="install botocore (boto3) to run the SDK import check")
    source = (
        FAKE_PROVIDER.read_text(encoding="utf-8") + "\nimport botocore.session  # a cloud SDK\n"
    )
    site.module("heavycloud_impl", source)
    site.provider_distribution(
        "cloudrig-heavy", "heavycloud", "heavy", implementation="heavycloud_impl:EmptyCloud"
    )
    return site


def test_providers_imports_no_cloud_sdk(heavy: FakeSite) -> None:
    result = heavy.run("providers", python_flags=("-X", "importtime"))
    assert result.returncode == 0
    assert "heavy" in result.stdout
    modules = imported_modules(result.stderr)
    assert "cloudrig" in modules  # the parse works
    assert sdk_modules(modules) == set()


def test_doctor_imports_implementations_and_the_check_sees_it(heavy: FakeSite) -> None:
    result = heavy.run("doctor", python_flags=("-X", "importtime"))
    assert "✓ heavy (cloudrig-heavy 1.0)" in result.stdout
    assert "botocore" in sdk_modules(imported_modules(result.stderr))
