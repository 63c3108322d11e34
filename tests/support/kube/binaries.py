"""Locates the cached kube-apiserver / kube-controller-manager binaries, building them when missing.

The build itself is ``build.sh`` beside this module (a shell script because it is a sequence of
apt-get / dpkg-source / make steps; it also runs by hand). This module decides whether the build can
run here and turns "cannot" into a message that says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

KUBE_VERSION = "1.20.2"
BINARIES = ("kube-apiserver", "kube-controller-manager")
BUILD_SCRIPT = Path(__file__).with_name("build.sh")
APT_PACKAGES = "golang-go dpkg-dev rsync golang-github-modern-go-reflect2-dev etcd-server make"
BUILD_TOOLS = ("go", "dpkg-source", "rsync", "apt-get", "make", "flock")


class BinariesUnavailableError(RuntimeError):
    """The binaries are not cached and cannot be built on this machine (message says why)."""


def cache_dir() -> Path:
    """Where the two binaries are cached: outside the work tree, shared by every checkout."""
    root = os.environ.get("CLOUDRIG_CACHE_DIR") or str(Path.home() / ".cache" / "cloudrig")
    return Path(root) / "kube" / KUBE_VERSION


def cached() -> Path | None:
    """The cache folder if both binaries are in it, else None."""
    folder = cache_dir()
    if all(os.access(folder / name, os.X_OK) for name in BINARIES):
        return folder
    return None


def ensure_binaries() -> Path:
    """Return the folder holding both binaries, running the one-time build if needed.

    Raises BinariesUnavailableError (with what to install) when the build cannot run: not root
    (apt-get needs it) or build tools missing. Progress of a build goes to stderr.
    """
    folder = cached()
    if folder is not None:
        return folder
    missing = [tool for tool in BUILD_TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing:
        why = "not running as root" if os.geteuid() != 0 else f"missing {', '.join(missing)}"
        raise BinariesUnavailableError(
            f"kube-apiserver {KUBE_VERSION} is not cached in {cache_dir()} and cannot be built "
            f"({why}). As root: apt-get install {APT_PACKAGES}; then run {BUILD_SCRIPT} once "
            "(5-10 minutes on 2 cores), or set CLOUDRIG_TEST_KUBECONFIG to use an existing cluster."
        )
    print(
        f"\n[cloudrig] one-time build of kube-apiserver {KUBE_VERSION} from Debian's source "
        f"package (5-10 min on 2 cores), cached in {cache_dir()}",
        file=sys.stderr,
        flush=True,
    )
    # The script's progress goes straight to our stderr so a developer sees it is not stuck.
    # The cache root is passed explicitly so the script and this module always agree on it.
    env = {**os.environ, "CLOUDRIG_CACHE_DIR": str(cache_dir().parent.parent)}
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        check=False,
        env=env,
    )
    folder = cached()
    if result.returncode != 0 or folder is None:
        raise BinariesUnavailableError(
            f"building kube-apiserver failed (exit {result.returncode}); see the output above. "
            f"Build script: {BUILD_SCRIPT}"
        )
    return folder
