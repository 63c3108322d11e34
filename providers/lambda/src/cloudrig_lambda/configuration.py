"""What a server group spec becomes in Lambda: the function's configuration and tags.

The configuration is what ``CreateFunction`` / ``UpdateFunctionConfiguration`` take for
``$LATEST`` before it is published (``functions.write``). The group's name is set as the
environment variable ``CLOUDRIG_SERVER_GROUP``: every group differs from the previous one in
configuration, so Lambda publishes a new version even for identical code. The function's tags
(they live on the function, not on its versions) record the spec's load balancers, security
groups and verification payload.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cloudrig import InvalidSpec
from cloudrig.provider import CreateServerGroup
from cloudrig_aws import tag_values
from cloudrig_lambda.code import is_image
from cloudrig_lambda.health import TAG_VERIFY
from cloudrig_lambda.metadata import TAG_APP, function_description
from cloudrig_lambda.naming import function_name
from cloudrig_lambda.settings import LambdaFunctionSettings, LambdaSecurityGroupSettings
from cloudrig_lambda.target_groups import TAG_LBS

if TYPE_CHECKING:
    from cloudrig_aws import VpcSecurityGroups

TAG_SGS = "cloudrig:security-groups"
GROUP_ENV = "CLOUDRIG_SERVER_GROUP"

Request = CreateServerGroup[LambdaFunctionSettings]


def function_configuration(
    request: Request,
    code: dict[str, Any],
    security_groups: VpcSecurityGroups[LambdaSecurityGroupSettings],
) -> dict[str, Any]:
    """The function's configuration for ``request`` (its code is ``code``); the spec's security
    groups are looked up by name for their ids."""
    spec, settings = request.spec, request.settings
    config: dict[str, Any] = {
        "FunctionName": function_name(request.name),
        "Role": settings.role,
        "Description": function_description(request.metadata.moniker),
        "Timeout": settings.timeout,
        "MemorySize": settings.memory_size,
        "Environment": {
            "Variables": dict(spec.environment) | settings.secrets | {GROUP_ENV: request.name}
        },
        "EphemeralStorage": {"Size": settings.ephemeral_storage},
    }
    if not is_image(code):
        config["Runtime"] = settings.runtime
        config["Handler"] = settings.handler
        config["Layers"] = list(settings.layers)
    elif settings.layers:
        raise InvalidSpec(f"{request.name}: a container image function takes no layers")
    elif settings.image_command:
        config["ImageConfig"] = {"Command": list(settings.image_command)}
    if spec.security_groups:
        if not settings.subnets:
            raise InvalidSpec(f"{request.name}: security groups need settings.subnets")
        ids = [security_groups.require(spec.region, g)["GroupId"] for g in spec.security_groups]
        config["VpcConfig"] = {"SubnetIds": list(settings.subnets), "SecurityGroupIds": ids}
    return config


def function_tags(request: Request) -> dict[str, str]:
    """The function's tags: the spec's, plus what cloudrig records of the group, in Lambda's
    tag alphabet (``cloudrig_aws.tag_values``: letters, numbers, spaces and ``_.:/=+-@``; other
    characters escaped, lists joined by ``+``). A spec tag Lambda would refuse, or a value too
    long once encoded, is ``InvalidSpec`` before anything is created."""
    user = dict(request.spec.tags)
    bad = tag_values.refused(user)
    if bad:
        raise InvalidSpec(
            f"tags {', '.join(bad)} of {request.name}: Lambda tag keys take 128 and values 256 "
            "characters of letters, numbers, spaces and _.:/=+-@",
            resource=request.name,
        )
    ours = {
        TAG_APP: tag_values.encode(request.metadata.moniker.app),
        TAG_LBS: tag_values.encode_list(request.spec.load_balancers),
        TAG_SGS: tag_values.encode_list(request.spec.security_groups),
    }
    verify = request.settings.verify_payload
    if verify is not None:
        text = json.dumps(verify, ensure_ascii=False, separators=(",", ":"))
        ours[TAG_VERIFY] = tag_values.encode(text)
    long = tag_values.too_long(ours)
    if long:
        raise InvalidSpec(
            f"{', '.join(long)} of {request.name}: longer than Lambda's 256 characters once "
            "encoded",
            resource=request.name,
        )
    return user | ours


def listed(tags: dict[str, str], key: str) -> tuple[str, ...]:
    """The items of a list tag (``TAG_LBS``, ``TAG_SGS``) of the function's tags."""
    return tag_values.decode_list(tags.get(key, ""))
