"""What a spec's settings become in Lambda, read back from moto (and from the requests where moto
keeps nothing): the architecture on create and on update, ephemeral storage, layers, secrets as
references, reserved concurrency put and removed, timeouts and memory; large local zips uploaded to
S3 through the limiter; container images."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import Capacity, InvalidSpec, Moniker, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_lambda import LambdaFunctionSettings
from cloudrig_lambda.naming import NAMING

from .conftest import REGION, V1, V2, LambdaEndpoint

pytestmark = pytest.mark.moto

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-pass-AbCdEf"


def request(artifact: str, sequence: int, **settings: Any) -> CreateServerGroup:
    moniker = Moniker(app="shop", stack="prod", sequence=sequence)
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=ServerGroupSpec(
            moniker=moniker,
            account="lambda-test",
            region=REGION,
            artifact=artifact,
            capacity=Capacity.fixed(1),
            environment={"MODE": "prod"},
        ),
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id=f"dep-{sequence}"),
        settings=LambdaFunctionSettings.model_validate(settings),
    )


def bodies(moto: Any, label: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in moto.requests() if r.label == label]


def uploads(endpoint: LambdaEndpoint) -> int:
    """PutObject requests into the code bucket that passed the proxy (the account's client)."""
    sent = endpoint.proxy.counts()["forwarded"]
    return sum(n for label, n in sent.items() if label.startswith("PUT /shop-code/"))


@pytest.fixture
def provider(make_lambda_provider: Callable[..., Any]) -> Any:
    return make_lambda_provider()


def test_architecture_storage_layers_secrets_timeout_and_memory(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    lam = moto_aws.client("lambda")
    layer = lam.publish_layer_version(
        LayerName="deps", Content={"ZipFile": Path(code_zip("x = 1\n")).read_bytes()}
    )["LayerVersionArn"]
    settings = {
        "role": lambda_role,
        "architectures": ["arm64"],
        "ephemeral_storage": 2048,
        "layers": [layer],
        "secrets": {"DB_PASSWORD_ARN": SECRET},
        "timeout": 60,
        "memory_size": 1024,
    }
    provider.server_groups.create(request(code_zip(V1), 1, **settings))
    config = lam.get_function_configuration(FunctionName="shop-prod")
    assert config["Architectures"] == ["arm64"]
    assert config["EphemeralStorage"] == {"Size": 2048}
    assert [x["Arn"] for x in config["Layers"]] == [layer]
    assert config["Environment"]["Variables"]["DB_PASSWORD_ARN"] == SECRET
    assert config["Environment"]["Variables"]["MODE"] == "prod"
    assert (config["Timeout"], config["MemorySize"]) == (60, 1024)
    # The next version's code is sent with its architecture (UpdateFunctionCode carries it).
    provider.server_groups.create(request(code_zip(V2), 2, **settings))
    (update,) = bodies(moto_aws, "PUT /2015-03-31/functions/shop-prod/code")
    assert update["Architectures"] == ["arm64"]


def test_reserved_concurrency_is_put_and_removed(
    provider: Any, lambda_role: str, code_zip: Callable[[str], str], moto_aws: Any
) -> None:
    lam = moto_aws.client("lambda")
    provider.server_groups.create(
        request(code_zip(V1), 1, role=lambda_role, reserved_concurrency=7)
    )
    assert (
        lam.get_function_concurrency(FunctionName="shop-prod")["ReservedConcurrentExecutions"] == 7
    )
    provider.server_groups.create(request(code_zip(V2), 2, role=lambda_role))
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(
        FunctionName="shop-prod"
    )


def test_a_large_zip_goes_through_s3_once(
    provider: Any,
    lambda_role: str,
    code_zip: Callable[[str], str],
    moto_aws: Any,
    lambda_endpoint: LambdaEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cloudrig_lambda.code

    monkeypatch.setattr(cloudrig_lambda.code, "DIRECT_UPLOAD_LIMIT", 10)
    moto_aws.client("s3").create_bucket(Bucket="shop-code")
    path = code_zip(V1)
    with pytest.raises(InvalidSpec, match="code_bucket"):
        provider.server_groups.create(request(path, 1, role=lambda_role))
    provider.server_groups.create(request(path, 1, role=lambda_role, code_bucket="shop-code"))
    (create,) = bodies(moto_aws, "POST /2015-03-31/functions")
    assert "ZipFile" not in create["Code"]
    assert create["Code"]["S3Bucket"] == "shop-code"
    key = create["Code"]["S3Key"]
    stored = moto_aws.client("s3").get_object(Bucket="shop-code", Key=key)["Body"].read()
    assert stored == Path(path).read_bytes()
    # Through the account's gated client (the proxy in front of moto counts what it admitted).
    assert uploads(lambda_endpoint) == 1
    # The same zip again (a retried create, or another version of identical code): no upload.
    provider.functions.forget(REGION, "shop-prod-v001")
    provider.server_groups.create(request(path, 1, role=lambda_role, code_bucket="shop-code"))
    assert uploads(lambda_endpoint) == 1


def test_container_image_function(provider: Any, lambda_role: str, moto_aws: Any) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@sha256:" + "a" * 64
    group = provider.server_groups.create(
        request(image, 1, role=lambda_role, runtime=None, handler=None, image_command=["app.main"])
    )
    (create,) = bodies(moto_aws, "POST /2015-03-31/functions")
    assert create["PackageType"] == "Image"
    assert create["Code"] == {"ImageUri": image}
    assert create["ImageConfig"] == {"Command": ["app.main"]}
    assert "Runtime" not in create
    assert "Layers" not in create
    assert group.artifact == image


def test_settings_lambda_would_refuse_are_one_clear_error(lambda_role: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="layers"):
        LambdaFunctionSettings(role=lambda_role, layers=("not-an-arn",))
    with pytest.raises(ValidationError, match="secrets DB"):
        LambdaFunctionSettings(role=lambda_role, secrets={"DB": "hunter2"})
    with pytest.raises(ValidationError, match="architectures"):
        LambdaFunctionSettings.model_validate(
            {"role": lambda_role, "architectures": ["x86_64", "arm64"]}
        )
