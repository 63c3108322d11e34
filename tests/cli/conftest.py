"""In-process CLI tests: typer's CliRunner against fake distributions (see ``plugins.fakesite``)."""

from __future__ import annotations

import pytest
from plugins.fakesite import FakeSite, installed_site, site

__all__ = ["empty", "installed_site", "site"]


@pytest.fixture
def empty(installed_site: FakeSite) -> FakeSite:
    """One installed distribution, ``cloudrig-empty`` 1.0, contributing provider ``empty``."""
    installed_site.provider_distribution("cloudrig-empty", "emptyplug", "empty")
    return installed_site
