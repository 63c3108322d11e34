"""Kubernetes provider tests: ``KubernetesProvider`` against the session's real kube-apiserver.

``KUBE`` is the tests' ``RigFactory``: a Rig with one Kubernetes account found through the
``cloudrig-kubernetes`` entry point; the namespace and kubeconfig are the test's, passed with
``KUBE.connect(tmp_path, settings=where(kubeconfig, namespace))``.

Fixtures:
- ``make_kube_provider(namespaces=None, limiter=None, user=TEST_USER, **settings)``: a provider
  for the test's namespace (``kube_namespace``) as the counted test user, with its own limiter
  unless one is given;
- ``kube_provider``: ``make_kube_provider()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudrig.provider import ProviderContext
from cloudrig.ratelimit import Limiter
from support.kube import TEST_USER, KubeCluster
from support.rig import RigFactory, fast_limits

ACCOUNT = "kube-test"
IMAGE_V1, IMAGE_V2 = "registry.example/shop:1", "registry.example/shop:2"
KUBE = RigFactory(provider="kubernetes", account=ACCOUNT, settings={})


def where(kubeconfig: Path, namespace: str) -> dict[str, Any]:
    """The per-test part of the account's settings, for ``KUBE.connect(settings=...)``."""
    return {"namespaces": [namespace], "kubeconfig": str(kubeconfig)}


def account_settings(cluster: KubeCluster, namespaces: list[str], **extra: Any) -> Any:
    from cloudrig_kubernetes import KubernetesAccountSettings

    values: dict[str, Any] = {
        "namespaces": namespaces,
        "kubeconfig": str(cluster.kubeconfig(extra.pop("user", TEST_USER))),
    }
    return KubernetesAccountSettings.model_validate(values | extra)


@pytest.fixture
def make_kube_provider(
    kube_cluster: KubeCluster, kube_namespace: str
) -> Iterator[Callable[..., Any]]:
    from cloudrig_kubernetes import KubernetesProvider

    made: list[Any] = []

    def make(
        namespaces: list[str] | None = None,
        limiter: Limiter | None = None,
        account: str = ACCOUNT,
        **settings: Any,
    ) -> Any:
        context = ProviderContext(
            account=account,
            settings=account_settings(kube_cluster, namespaces or [kube_namespace], **settings),
            limiter=limiter or Limiter(fast_limits()),
        )
        provider = KubernetesProvider(context)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.kube.close()


@pytest.fixture
def kube_provider(make_kube_provider: Callable[..., Any]) -> Any:
    return make_kube_provider()
