"""A spec's environment reaches EC2 instances through user data (cloud-init multi-part), and the
spec's own user data is kept as it was."""

from __future__ import annotations

import base64
import email
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import Capacity, InvalidSpec
from cloudrig.provider import CreateServerGroup
from cloudrig_aws.user_data import render

from .conftest import REGION
from .scenario import create_request


def parts(encoded: str) -> list[tuple[str, str]]:
    message = email.message_from_bytes(base64.b64decode(encoded))
    return [
        (p.get_content_type(), p.get_payload(decode=True).decode())
        for p in message.walk()
        if not p.is_multipart()
    ]


def test_without_environment_user_data_is_unchanged() -> None:
    assert render(None, {}) is None
    assert base64.b64decode(render("#!/bin/sh\necho hi\n", {}) or "") == b"#!/bin/sh\necho hi\n"


def test_environment_file_is_written_first_and_quoted(tmp_path: Path) -> None:
    encoded = render("#cloud-config\npackages: [nginx]\n", {"GREETING": "it's a 'test' $HOME"})
    assert encoded is not None
    (script_type, script), (config_type, config) = parts(encoded)
    assert (script_type, config_type) == ("text/x-shellscript", "text/cloud-config")
    assert config == "#cloud-config\npackages: [nginx]\n"
    # Run the script with the file moved into tmp_path: the values come back exactly.
    target = tmp_path / "environment"
    runnable = script.replace("/etc/cloudrig/environment", str(target)).replace(
        "mkdir -p /etc/cloudrig", f"mkdir -p {tmp_path}"
    )
    subprocess.run(["sh", "-c", runnable], check=True)
    out = subprocess.run(
        ["sh", "-c", f'. {target}; printf %s "$GREETING"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "it's a 'test' $HOME"


def test_invalid_names_and_oversize_are_refused() -> None:
    with pytest.raises(InvalidSpec, match="not valid variable names"):
        render(None, {"BAD-NAME": "x"})
    with pytest.raises(InvalidSpec, match="at most 16384"):
        render("x" * 17000, {"A": "b"})


@pytest.mark.moto
def test_launch_template_carries_environment_and_security_groups(
    make_aws_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_aws_provider()
    base = create_request("env", sequence=1, capacity=Capacity.fixed(0))
    spec = base.spec.model_copy(
        update={
            "environment": {"MODE": "prod"},
            "user_data": "#!/bin/sh\n",
            "security_groups": ("default",),
        }
    )
    request = CreateServerGroup(
        name=base.name, spec=spec, metadata=base.metadata, settings=base.settings
    )
    provider.server_groups.create(request)
    versions = moto_aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateName=request.name
    )["LaunchTemplateVersions"]
    data = versions[0]["LaunchTemplateData"]
    assert "MODE=prod\n" in parts(data["UserData"])[0][1]
    assert data["SecurityGroupIds"][0].startswith("sg-")
    assert provider.server_groups.get(REGION, request.name).security_groups == ("default",)


@pytest.mark.moto
def test_deploying_behind_a_missing_load_balancer_is_invalid(
    make_aws_provider: Callable[..., Any],
) -> None:
    provider = make_aws_provider()
    with pytest.raises(InvalidSpec, match="upsert them before"):
        provider.server_groups.create(create_request("nolb", sequence=1, load_balancers=("ghost",)))
