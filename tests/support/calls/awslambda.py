"""Lambda call-count scenarios on moto server (counted at the fault-and-count proxy in front of it).

    .venv/bin/python benchmarks/calls/awslambda.py     # writes results-lambda.json, prints the table

- ``boto3-lambda-red-black-baseline``: a minimal red/black written by hand with boto3 onto a
  function whose alias routes to version 1: UpdateFunctionCode, PublishVersion, UpdateAlias — 3
  requests (no wait for ``LastUpdateStatus``, no check of the new version, no listing);
- ``cloudrig-lambda-red-black``: ``rig.deploy(spec, RedBlack())`` through the Lambda provider onto
  a cluster with one previous version (in traffic), in the default capacity mode, on demand
  (capacity 1 = the version, health-gated by its state; no provisioned concurrency call);
- ``cloudrig-lambda-red-black-provisioned``: the same with ``settings.provisioned_concurrency``:
  capacity 1 is a provisioned concurrency of 1, which moto lacks: the proxy answers it
  (``support.aws.provisioned_concurrency``, installed by ``counting_proxy``), and its requests
  are counted like moto's.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from support.calls.harness import (
    RESULTS,
    Counter,
    Result,
    Scenario,
    admitted,
    measure,
    record,
    snapshot,
    table,
)

REGION, ACCOUNT = "us-east-1", "lambda-bench"
KEY_ENV, SECRET_ENV = "CLOUDRIG_BENCH_AWS_KEY_ID", "CLOUDRIG_BENCH_AWS_SECRET"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _zip(version: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", f"def handler(e, c):\n    return {version}\n")
    return buffer.getvalue()


def _role(moto: Any) -> str:
    iam = moto.client("iam")
    try:
        return str(iam.get_role(RoleName="bench-fn")["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="bench-fn", AssumeRolePolicyDocument=json.dumps(TRUST))
        return str(role["Role"]["Arn"])


def _rig(url: str, tmp: Path) -> Any:
    import cloudrig
    from cloudrig.engine import SqliteStateStore

    os.environ.setdefault(KEY_ENV, "testing")  # moto takes any credentials
    os.environ.setdefault(SECRET_ENV, "testing")
    return cloudrig.connect(
        {
            "accounts": {
                ACCOUNT: {
                    "provider": "lambda",
                    "regions": [REGION],
                    "access_key_id": f"env:{KEY_ENV}",
                    "secret_access_key": f"env:{SECRET_ENV}",
                    "endpoint_url": url,
                    "account_id": "123456789012",
                }
            },
        },
        state_store=SqliteStateStore(tmp / "deployments.sqlite3"),
    )


def baseline(moto: Any) -> Scenario:
    def run(counter: Counter) -> None:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        lam = session.client(
            "lambda", endpoint_url=counter.url, config=Config(retries={"total_max_attempts": 1})
        )
        lam.create_function(
            FunctionName="hand",
            Role=_role(moto),
            Runtime="python3.12",
            Handler="index.handler",
            Code={"ZipFile": _zip(1)},
        )
        first = lam.publish_version(FunctionName="hand")["Version"]
        lam.create_alias(FunctionName="hand", Name="live", FunctionVersion=first)
        with counter.measure():
            lam.update_function_code(FunctionName="hand", ZipFile=_zip(2))
            second = lam.publish_version(FunctionName="hand")["Version"]
            lam.update_alias(FunctionName="hand", Name="live", FunctionVersion=second)

    return Scenario(
        "boto3-lambda-red-black-baseline",
        "lambda",
        "hand-written boto3: new code, publish, switch the alias (the floor)",
        run,
    )


def red_black(moto: Any, provisioned: bool = False) -> Scenario:
    def run(counter: Counter) -> int:
        from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
        from cloudrig.strategies import RedBlack

        with tempfile.TemporaryDirectory() as tmp:
            rig = _rig(counter.url, Path(tmp))
            rig.account(ACCOUNT).upsert_load_balancer(
                LoadBalancerSpec(name="web", account=ACCOUNT, region=REGION)
            )
            role = _role(moto)

            def spec(version: int) -> ServerGroupSpec:
                path = Path(tmp) / f"v{version}.zip"
                path.write_bytes(_zip(version))
                return ServerGroupSpec(
                    moniker=Moniker(app="shop", stack="prod"),
                    account=ACCOUNT,
                    region=REGION,
                    artifact=str(path),
                    capacity=Capacity.fixed(1),
                    load_balancers=("web",),
                    settings={"role": role, "provisioned_concurrency": provisioned},
                )

            rig.deploy(spec(1), RedBlack()).raise_for_status()
            before = snapshot(rig.limiter)
            with counter.measure():
                rig.deploy(spec(2), RedBlack()).raise_for_status()
            return admitted(rig.limiter, before)

    if provisioned:
        return Scenario(
            "cloudrig-lambda-red-black-provisioned",
            "lambda",
            "the same with settings.provisioned_concurrency (capacity 1 = one environment)",
            run,
            budget=PROVISIONED_BUDGET,
        )
    return Scenario(
        "cloudrig-lambda-red-black",
        "lambda",
        "rig.deploy(RedBlack) onto a function whose alias routes to its previous version",
        run,
        budget=BUDGET,
    )


# A slow machine may see the 2 s read cache expire between reads (the listing at the start:
# +1 to +3), or a version not Active at the first poll (+2 a poll, +3 provisioned).
BUDGET = 12  # on demand: 9 measured
PROVISIONED_BUDGET = 15  # 11 measured: the Put and one provisioned concurrency read more


def scenarios(moto: Any) -> list[Scenario]:
    return [baseline(moto), red_black(moto), red_black(moto, provisioned=True)]


def counting_proxy(moto: Any, proxy: Any) -> Any:
    """``proxy`` (a started FaultProxy in front of ``moto``) with provisioned concurrency
    emulated, as every scenario here needs it."""
    from support.aws.provisioned_concurrency import ProvisionedConcurrencyModel

    ProvisionedConcurrencyModel(moto).install(proxy)
    return proxy


def main() -> int:
    from support.aws.server import MotoServer
    from support.proxy import FaultProxy

    moto = MotoServer()
    proxies: list[FaultProxy] = []
    results: list[Result] = []
    try:
        for scenario in scenarios(moto):
            moto.reset()
            proxies.append(counting_proxy(moto, FaultProxy(moto.url).start()))
            results.append(measure(scenario, lambda: proxies[-1]))
    finally:
        for proxy in proxies:
            proxy.stop()
        moto.stop()
    record(results, RESULTS / "results-lambda.json")
    print(table(results))
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
