"""Writes kubeconfig files: one per user, so code under test loads credentials the usual way.

Why files and not in-memory Configuration objects: the code under test (the Kubernetes provider)
reads a kubeconfig like it would in production, so the tests exercise that path too.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml


def write_kubeconfig(path: Path, *, server: str, ca_pem: Path, user: str, token: str) -> Path:
    """Write a single-context kubeconfig (mode 0600: it holds a bearer token) and return its path."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "cloudrig-test",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem.read_bytes()).decode(),
                },
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {"name": user, "context": {"cluster": "cloudrig-test", "user": user}},
        ],
        "current-context": user,
    }
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def server_of(path: Path) -> str:
    """The API server URL of a kubeconfig's current context (for an existing cluster)."""
    config = yaml.safe_load(path.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    server: str = cluster["server"]
    return server


def retarget(source: Path, dest: Path, *, server: str, ca_pem: Path) -> Path:
    """Copy a kubeconfig with its current cluster pointed at ``server``, trusting ``ca_pem``.

    For putting a proxy (e.g. the fault proxy) between a client and the cluster: the user's
    credentials stay as they are, only the endpoint and the CA to trust change.
    """
    config = yaml.safe_load(source.read_text())
    context_name = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == context_name)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    cluster.pop("certificate-authority", None)
    cluster.pop("insecure-skip-tls-verify", None)
    cluster["server"] = server
    cluster["certificate-authority-data"] = base64.b64encode(ca_pem.read_bytes()).decode()
    dest.touch(mode=0o600)
    dest.write_text(yaml.safe_dump(config, sort_keys=False))
    return dest
