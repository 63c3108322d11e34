"""Fake installed distributions for plugin and CLI tests.

A ``FakeSite`` is a directory laid out like site-packages: ``NAME-VERSION.dist-info`` folders with
``METADATA`` and ``entry_points.txt`` (group ``cloudrig``) beside the plugin modules. With the
directory on ``PYTHONPATH``, ``importlib.metadata`` finds the distributions exactly as it finds
installed ones, so the CLI is tested in a subprocess as a user runs it (``FakeSite.run``).

In-process tests use the ``installed_site`` fixture instead: it puts the directory on ``sys.path``
and makes the ``cloudrig`` entry-point group show only the site's distributions, so whatever the
developer has installed (first-party providers under development) cannot change the outcome.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

FAKE_PROVIDER = Path(__file__).with_name("fake_provider.py")

DESCRIPTOR = '''\
"""Fake plugin {module!r}: contributes provider {name!r} (written by the cloudrig tests)."""
from cloudrig.provider import AccountSettings, Capabilities, NamingPolicy, ProviderDescriptor, Secret, TrafficSplit, hookimpl


class Settings(AccountSettings):
    token: Secret | None = None
    fail_check: bool = False


@hookimpl
def cloudrig_providers():
    return [
        ProviderDescriptor(
            name={name!r},
            contract_version={contract!r},
            description="an empty read-only cloud",
            capabilities=Capabilities(traffic_split=TrafficSplit.NONE, baseline_beside_canary=False),
            naming=NamingPolicy(max_length=63, allowed="a-z0-9", lowercase=True),
            account_settings=Settings,
            implementation={implementation!r},
        )
    ]
'''


class FakeSite:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def module(self, name: str, source: str) -> None:
        """Write a top-level module ``name``."""
        (self.root / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")

    def distribution(
        self, dist: str, entry_points: Mapping[str, str], version: str = "1.0"
    ) -> None:
        """Declare an installed distribution whose ``cloudrig`` entry points are ``entry_points``."""
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[cloudrig]\n{lines}", encoding="utf-8")

    def provider(
        self,
        module: str,
        name: str,
        *,
        contract: str = "2.0",
        implementation: str | None = None,
    ) -> None:
        """Write plugin module ``module`` contributing provider ``name``; its implementation is
        the empty cloud (module ``{module}_impl``) unless ``implementation`` names another."""
        if implementation is None:
            self.module(f"{module}_impl", FAKE_PROVIDER.read_text(encoding="utf-8"))
            implementation = f"{module}_impl:EmptyCloud"
        self.module(
            module,
            DESCRIPTOR.format(
                module=module, name=name, contract=contract, implementation=implementation
            ),
        )

    def provider_distribution(self, dist: str, module: str, name: str, **kw: Any) -> None:
        """A distribution whose single entry point is a provider plugin module."""
        self.provider(module, name, **kw)
        self.distribution(dist, {module: module})

    def env(self, **extra: str) -> dict[str, str]:
        ignored = ("CLOUDRIG_PLUGINS", "CLOUDRIG_CONFIG", "PYTHONPATH")
        env = {k: v for k, v in os.environ.items() if k not in ignored}
        env.update(PYTHONPATH=str(self.root), NO_COLOR="1", COLUMNS="200", **extra)
        return env

    def run(
        self, *args: str, python_flags: tuple[str, ...] = (), **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m cloudrig ARGS`` in a fresh interpreter that sees this site."""
        return subprocess.run(
            [sys.executable, *python_flags, "-m", "cloudrig", *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            cwd=self.root,
            timeout=60,
            check=False,
        )


@pytest.fixture
def site(tmp_path: Path) -> FakeSite:
    return FakeSite(tmp_path / "site")


@pytest.fixture
def installed_site(site: FakeSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSite]:
    """``site`` made importable in this process, as the only source of ``cloudrig`` entry points."""

    def entry_points(**params: Any) -> importlib.metadata.EntryPoints:
        found = [
            ep
            for dist in importlib.metadata.distributions(path=[str(site.root)])
            for ep in dist.entry_points
        ]
        return importlib.metadata.EntryPoints(found).select(**params)

    monkeypatch.syspath_prepend(str(site.root))
    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.delenv("CLOUDRIG_PLUGINS", raising=False)
    yield site
    # Tests reuse module names: forget the ones loaded from this site.
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(site.root)):
            del sys.modules[name]
