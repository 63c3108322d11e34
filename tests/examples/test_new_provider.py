"""``cloudrig new-provider NAME`` starts a provider in one command: a renamed copy of the template
whose own tests pass as written, outside this repository, with only the installed packages.

The copy is installed into a temporary site (``pip install --target``, as a third party would
install it) and its tests run from its own folder, so nothing of this repository's ``tests/`` or
``conftest.py`` can help them. The template is read from the installed wheel the same way as from
the source checkout: both give the same files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "examples" / "provider-template"
CLOUDRIG = [sys.executable, "-m", "cloudrig"]


def _pip_install(project: Path, target: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(project)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"pip could not install {project}:\n{done.stderr}"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("work") / "cloudrig-acme-cloud"
    done = subprocess.run(
        [*CLOUDRIG, "new-provider", "acme-cloud", "--dir", str(destination)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"to {destination}/ (provider 'acme-cloud')" in done.stdout
    return destination


def test_the_copy_is_renamed_throughout(copy: Path) -> None:
    files = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert {"pyproject.toml", "README.md", "tests/test_conformance.py", "tests/test_install.py",
            "src/cloudrig_acme_cloud/plugin.py", "src/acme_cloud_cloud/server.py"} <= files  # fmt: skip
    leftovers = []
    for name in files:
        text = (copy / name).read_text(encoding="utf-8", errors="replace")
        for pattern in (r"cloudrig[_-]example", r"\bexample_cloud\b", r"\bExample[A-Z]\w*",
                        r'"example"', r"_template"):  # fmt: skip
            leftovers += [f"{name}: {m}" for m in re.findall(pattern, text)]
    assert leftovers == []
    pyproject = (copy / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "cloudrig-acme-cloud"' in pyproject
    assert 'acme-cloud = "cloudrig_acme_cloud.plugin"' in pyproject
    assert 'name="acme-cloud"' in (copy / "src/cloudrig_acme_cloud/plugin.py").read_text()


def test_the_copy_passes_its_own_tests_outside_the_repository(copy: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _pip_install(copy, site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(copy)],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout)
    assert "skipped" not in done.stdout.splitlines()[-1]


def test_the_installed_wheel_carries_the_same_template_as_the_checkout(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _pip_install(TEMPLATE, site)
    listing = (
        "import hashlib, json\n"
        "from cloudrig._scaffold import template_files\n"
        "print(json.dumps({p: hashlib.sha256(c).hexdigest() for p, c in template_files()}))\n"
    )
    answers = []
    for path in (str(site), ""):  # the wheel first on the path, then the editable checkout
        env = {**os.environ, "PYTHONPATH": path}
        done = subprocess.run(
            [sys.executable, "-c", listing], env=env, capture_output=True, text=True,
            timeout=60, check=True,
        )  # fmt: skip
        answers.append(json.loads(done.stdout))
    assert answers[0] == answers[1]
    assert "tests/test_errors.py" in answers[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new-provider", "Acme Cloud"], "provider name 'Acme Cloud': use lowercase letters"),
        (["new-provider", "example"], "not 'example', the template's own"),
    ],
)
def test_a_bad_name_is_a_usage_error_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = subprocess.run(
        [*CLOUDRIG, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert message in " ".join(done.stderr.split())
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(copy: Path) -> None:
    before = (copy / "README.md").read_bytes()
    done = subprocess.run(
        [*CLOUDRIG, "new-provider", "other", "--dir", str(copy)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "already exists and is not empty" in " ".join(done.stderr.split())
    assert (copy / "README.md").read_bytes() == before
