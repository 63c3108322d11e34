"""Kubernetes call-count scenarios on the real kube-apiserver of ``tests/support/kube``, counted at
the fault-and-count proxy (TLS) in front of it and compared with the limiter and the audit log.

- ``client-red-black-baseline``: a minimal red/black written by hand with the kubernetes client —
  create the new ReplicaSet (into the Service by its labels), one watch of its pods until they are
  ready, drop the traffic label from the old ReplicaSet's template, list its pods and patch each
  (2): 6 requests;
- ``cloudrig-red-black``: ``rig.deploy(spec, RedBlack())`` of a 2-pod group onto a cluster with one
  previous version, through the Kubernetes provider (budget: 12, twice the hand-written floor).

Requests are labelled ``METHOD /path`` with the namespace and object names replaced by ``{ns}``
and ``{name}`` (a watch is a ``GET`` of the collection, like a list). Run on its own (it starts its
own API server, from the cached binaries; the module is not called ``kubernetes.py``, which would
shadow the client package when run as a script)::

    .venv/bin/python benchmarks/calls/kube.py    # writes results-kubernetes.json
"""

from __future__ import annotations

import re
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ACCOUNT = "kube-bench"
_NAMED = re.compile(r"^(?P<head>/apis?/(?:[^/]+/)?v1)(?:/namespaces/[^/]+)?(?P<tail>.*)$")


def label(raw: str) -> str:
    """``GET /apis/apps/v1/namespaces/t-1/replicasets/x`` → ``GET .../{ns}/replicasets/{name}``."""
    method, _, path = raw.partition(" ")
    match = _NAMED.match(path)
    if not match:
        return raw
    ns = "/namespaces/{ns}" if "/namespaces/" in path else ""
    parts = match["tail"].strip("/").split("/")
    tail = "/".join(p if i % 2 == 0 else "{name}" for i, p in enumerate(parts) if p)
    return f"{method} {match['head']}{ns}/{tail}"


class NamedCounts:
    """A FaultProxy whose counts are grouped by ``label`` (the harness's ``CountingProxy``)."""

    def __init__(self, proxy: Any) -> None:
        self.proxy = proxy
        self.url: str = proxy.url

    def counts(self) -> dict[str, dict[str, int]]:
        grouped: dict[str, dict[str, int]] = {}
        for part, counts in self.proxy.counts().items():
            into = grouped.setdefault(part, {})
            for raw, n in counts.items():
                into[label(raw)] = into.get(label(raw), 0) + n
        return grouped

    def clear_counts(self) -> None:
        self.proxy.clear_counts()


def _namespace(cluster: Any) -> str:
    from kubernetes import client

    name = f"bench-{uuid.uuid4().hex[:8]}"
    with cluster.api_client(cluster.admin_user) as api:
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
        client.CoreV1Api(api).create_namespace(body)
    return name


def _kubeconfig(cluster: Any, counter: Any, tmp: Path) -> Path:
    from support.kube.kubeconfig import retarget

    proxy = counter.proxy.proxy
    return retarget(
        cluster.kubeconfig(), tmp / "kubeconfig", server=proxy.url, ca_pem=proxy.ca_bundle
    )


def _rig(kubeconfig: Path, namespace: str, tmp: Path) -> Any:
    import cloudrig
    from cloudrig.engine import SqliteStateStore

    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "kubernetes",
                    "namespaces": [namespace],
                    "kubeconfig": str(kubeconfig),
                }
            },
            "limits": {"read": {"rate": 200, "burst": 20}, "mutate": {"rate": 200, "burst": 20}},
        },
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def _spec(namespace: str, image: str) -> Any:
    from cloudrig import Capacity, Moniker, ServerGroupSpec

    return ServerGroupSpec(
        moniker=Moniker(app="shop", stack="prod"),
        account=ACCOUNT,
        region=namespace,
        artifact=image,
        capacity=Capacity.fixed(2),
        load_balancers=("web",),
    )


def _cloudrig_red_black(cluster: Any) -> Any:
    from cloudrig import LoadBalancerSpec
    from cloudrig.strategies import RedBlack
    from support.calls.harness import admitted, snapshot

    def run(counter: Any) -> int:
        namespace = _namespace(cluster)
        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(_kubeconfig(cluster, counter, Path(tmp)), namespace, Path(tmp))
            lb = LoadBalancerSpec(name="web", account=ACCOUNT, region=namespace)
            rig.account(ACCOUNT).upsert_load_balancer(lb)
            rig.deploy(_spec(namespace, "shop:1"), RedBlack()).raise_for_status()
            before = snapshot(rig.limiter)
            with counter.measure():
                rig.deploy(_spec(namespace, "shop:2"), RedBlack()).raise_for_status()
            return admitted(rig.limiter, before)

    return run


def _baseline(cluster: Any) -> Any:
    def run(counter: Any) -> None:
        from kubernetes import client, config, watch

        namespace = _namespace(cluster)
        with tempfile.TemporaryDirectory() as tmp:
            configuration = client.Configuration()
            configuration.retries = False
            kubeconfig = _kubeconfig(cluster, counter, Path(tmp))
            api_client = config.new_client_from_config(
                config_file=str(kubeconfig), client_configuration=configuration
            )
            apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)

            def replica_set(version: str) -> dict[str, Any]:
                labels = {"app": "shop", "version": version, "traffic": "on"}
                return {
                    "metadata": {"name": f"shop-{version}"},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"version": version}},
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {"containers": [{"name": "main", "image": f"shop:{version}"}]},
                        },
                    },
                }

            apps.create_namespaced_replica_set(namespace, replica_set("v1"))
            with counter.measure():
                apps.create_namespaced_replica_set(namespace, replica_set("v2"))
                ready: set[str] = set()
                stream = watch.Watch()
                for event in stream.stream(
                    core.list_namespaced_pod,
                    namespace,
                    label_selector="version=v2",
                    timeout_seconds=30,
                ):
                    pod = event["object"]
                    conditions = pod.status.conditions or []
                    if any(c.type == "Ready" and c.status == "True" for c in conditions):
                        ready.add(pod.metadata.name)
                    if len(ready) == 2:
                        stream.stop()
                        break
                patch = {"spec": {"template": {"metadata": {"labels": {"traffic": None}}}}}
                apps.patch_namespaced_replica_set("shop-v1", namespace, patch)
                pods = core.list_namespaced_pod(namespace, label_selector="version=v1").items
                for pod in pods:
                    body = {"metadata": {"labels": {"traffic": None}}}
                    core.patch_namespaced_pod(pod.metadata.name, namespace, body)
            api_client.close()

    return run


def scenarios(cluster: Any) -> list[Any]:
    from support.calls.harness import Scenario

    return [
        Scenario(
            "client-red-black-baseline",
            "kubernetes",
            "hand-written red/black with the kubernetes client (no checks, one watch)",
            _baseline(cluster),
        ),
        Scenario(
            "cloudrig-red-black",
            "kubernetes",
            "rig.deploy(RedBlack) of 2 pods onto a cluster with one previous version",
            _cloudrig_red_black(cluster),
            budget=12,
        ),
    ]


def main() -> int:
    from support.calls.harness import RESULTS, Result, measure, record, table
    from support.kube.binaries import ensure_binaries
    from support.kube.cluster import start_local
    from support.proxy import FaultProxy

    cluster = start_local(ensure_binaries())
    proxies: list[FaultProxy] = []

    def make_proxy() -> NamedCounts:
        proxies.append(FaultProxy(cluster.api_url, tls=True).start())
        return NamedCounts(proxies[-1])

    results: list[Result] = []
    try:
        for scenario in scenarios(cluster):
            results.append(measure(scenario, make_proxy))
            print(f"{scenario.name}: {results[-1].total} requests", file=sys.stderr)
    finally:
        for proxy in proxies:
            proxy.stop()
        cluster.stop()
    record(results, RESULTS / "results-kubernetes.json")
    print(table(results))
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
