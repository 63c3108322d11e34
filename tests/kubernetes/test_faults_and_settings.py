"""Throttling and server errors injected by the fault proxy (TLS, in front of the real API
server) reach the limiter and the retry policy; settings validate before any call is made; the
plugin module loads no kubernetes client."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import Throttled
from cloudrig_kubernetes import KubernetesAccountSettings
from support.kube import KubeCluster
from support.kube.kubeconfig import retarget
from support.proxy import FaultProxy, Style, kubernetes_throttle, server_error

from .helpers import create_request

pytestmark = pytest.mark.kube


@pytest.fixture
def proxied(
    kube_cluster: KubeCluster,
    fault_proxy: Callable[..., FaultProxy],
    make_kube_provider: Callable[..., Any],
    tmp_path: Path,
) -> tuple[FaultProxy, Any]:
    proxy = fault_proxy(kube_cluster.api_url, tls=True)
    assert proxy.ca_bundle is not None
    kubeconfig = retarget(
        kube_cluster.kubeconfig(), tmp_path / "kubeconfig", server=proxy.url, ca_pem=proxy.ca_bundle
    )
    return proxy, make_kube_provider(kubeconfig=str(kubeconfig))


def stats(provider: Any) -> tuple[int, int]:
    values = provider.context.limiter.stats().values()
    return sum(s.admitted for s in values), sum(s.throttles for s in values)


def test_429_with_retry_after_slows_the_bucket_and_is_retried(
    proxied: tuple[FaultProxy, Any], kube_namespace: str, kubelet: Any
) -> None:
    proxy, provider = proxied
    proxy.add(kubernetes_throttle(retry_after=1), method="POST", path=r"/replicasets$", times=1)
    proxy.add(server_error(Style.KUBERNETES, 503), method="GET", path=r"/pods$", times=1)
    provider.server_groups.create(create_request(kube_namespace))
    group = provider.server_groups.get(kube_namespace, "shop-prod-v001")  # lists pods: 503, retried
    assert group.name == "shop-prod-v001"
    assert proxy.answered() == 2
    sent, throttles = stats(provider)
    assert throttles == 1
    assert proxy.forwarded() + proxy.answered() == sent, "every attempt was admitted once"


def test_persistent_throttling_is_throttled_with_the_servers_delay(
    proxied: tuple[FaultProxy, Any], kube_namespace: str
) -> None:
    proxy, provider = proxied
    proxy.add(kubernetes_throttle(retry_after=1), method="GET", path=r"/replicasets/")
    with pytest.raises(Throttled) as raised:
        provider.server_groups.get(kube_namespace, "shop-prod-v001")
    assert raised.value.retry_after == 1.0
    assert proxy.answered() == 4  # the policy's four attempts, then the error


def test_namespaces_are_the_regions_and_settings_are_checked() -> None:
    settings = KubernetesAccountSettings.model_validate({"namespaces": ["a", "b"]})
    assert settings.namespaces == settings.regions == ("a", "b")
    with pytest.raises(ValidationError, match="not both"):
        KubernetesAccountSettings.model_validate({"namespaces": ["a"], "regions": ["a"]})
    with pytest.raises(ValidationError, match="in_cluster"):
        KubernetesAccountSettings.model_validate(
            {"namespaces": ["a"], "in_cluster": True, "kubeconfig": "/x"}
        )


def test_the_plugin_module_loads_no_kubernetes_client() -> None:
    code = (
        "import sys, cloudrig_kubernetes.plugin as p, cloudrig_kubernetes as k;"
        "assert p.DESCRIPTOR.capabilities.efficient_wait;"
        "assert 'kubernetes' not in sys.modules, 'kubernetes imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_requests_are_budgeted_per_api_server_group_and_class() -> None:
    from cloudrig.ratelimit import CallClass
    from cloudrig_kubernetes.clients import BUCKET_REGION, call_of

    watch = call_of("GET", "https://k:6443/api/v1/namespaces/a/pods?labelSelector=x&watch=true")
    assert (watch.service, watch.operation, watch.call_class) == (
        "core",
        "watch pods",
        CallClass.READ,
    )
    listing = call_of("GET", "https://k:6443/api/v1/namespaces/a/pods?labelSelector=x")
    assert listing.operation == "list pods"
    patch = call_of("PATCH", "https://k:6443/apis/apps/v1/namespaces/a/replicasets/web-v001")
    assert (patch.service, patch.operation, patch.call_class) == (
        "apps",
        "patch replicasets",
        CallClass.MUTATE,
    )
    status = call_of("GET", "https://k:6443/apis/apps/v1/namespaces/b/replicasets/web-v001/status")
    assert status.operation == "get replicasets/status"
    assert {watch.region, patch.region} == {BUCKET_REGION}, "namespaces share the server's budget"
    review = call_of("POST", "https://k:6443/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert (review.service, review.operation, review.call_class) == (
        "authorization.k8s.io",
        "create selfsubjectaccessreviews",
        CallClass.READ,  # stores nothing: check's reviews spend the read budget
    )


def test_two_accounts_on_one_api_server_share_its_budget(
    make_kube_provider: Callable[..., Any], kube_namespace: str
) -> None:
    from cloudrig.ratelimit import Limiter

    from .conftest import fast_limits

    limiter = Limiter(fast_limits())
    one = make_kube_provider(limiter=limiter, account="team-a")
    two = make_kube_provider(limiter=limiter, account="team-b")
    one.load_balancers.list()  # one uncached list of Services each
    two.load_balancers.list()
    (bucket,) = limiter.stats()
    assert limiter.stats()[bucket].admitted == 2


def test_in_cluster_configuration_uses_the_service_account(
    kube_cluster: KubeCluster, kube_namespace: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``in_cluster: true`` reads the pod's service account token and CA and the
    KUBERNETES_SERVICE_* environment, as inside a pod (files and environment simulated)."""
    import base64
    from urllib.parse import urlsplit

    import yaml
    from kubernetes.config import incluster_config

    from cloudrig.provider import ProviderContext
    from cloudrig_kubernetes import KubernetesProvider

    kubeconfig = yaml.safe_load(kube_cluster.kubeconfig().read_text())
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text(kubeconfig["users"][0]["user"]["token"])
    ca.write_bytes(
        base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"])
    )
    server = urlsplit(kube_cluster.api_url)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(ca))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", str(server.hostname))
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
    settings = KubernetesAccountSettings.model_validate(
        {"namespaces": [kube_namespace], "in_cluster": True}
    )
    provider = KubernetesProvider(ProviderContext(account="in-cluster", settings=settings))
    try:
        assert provider.check().identity.startswith(kube_cluster.api_url)
        assert provider.server_groups.list("shop") == []
    finally:
        provider.kube.close()
