"""User data for a launch template: the spec's ``user_data`` plus its ``environment``.

EC2 instances get configuration only through user data, so a spec's ``environment`` (which other
providers pass as container or function environment) is delivered as cloud-init multi-part user
data: a first shell part writes ``/etc/cloudrig/environment`` (``KEY='value'`` lines, shell-quoted,
readable by systemd's ``EnvironmentFile=`` and by ``. /etc/cloudrig/environment``), then the spec's
own user data as its second part, unchanged (cloud-init detects its type: ``#!``, ``#cloud-config``
…). Without an environment the user data is passed exactly as given. The result is base64 as the
EC2 API wants it; AWS's limit is 16 KB before encoding.
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Mapping
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from cloudrig import InvalidSpec

LIMIT = 16 * 1024
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENV_FILE = "/etc/cloudrig/environment"


def _environment_script(environment: Mapping[str, str]) -> str:
    bad = sorted(k for k in environment if not _NAME.match(k))
    if bad:
        raise InvalidSpec(
            f"environment: {', '.join(bad)} are not valid variable names", provider="aws"
        )
    lines = "".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(environment.items()))
    return (
        "#!/bin/sh\n"
        f"mkdir -p {shlex.quote(ENV_FILE.rsplit('/', 1)[0])}\n"
        f"umask 077\ncat > {ENV_FILE} <<'CLOUDRIG_ENV'\n{lines}CLOUDRIG_ENV\n"
    )


def render(user_data: str | None, environment: Mapping[str, str]) -> str | None:
    """The base64 ``UserData`` of the launch template, or ``None`` when there is nothing."""
    if not environment:
        text = user_data
    else:
        message = MIMEMultipart()
        message.attach(MIMEText(_environment_script(environment), "x-shellscript"))
        if user_data:
            subtype = "cloud-config" if user_data.startswith("#cloud-config") else "x-shellscript"
            message.attach(MIMEText(user_data, subtype))
        text = message.as_string()
    if text is None:
        return None
    raw = text.encode("utf-8")
    if len(raw) > LIMIT:
        raise InvalidSpec(
            f"user data with environment is {len(raw)} bytes; EC2 takes at most {LIMIT}",
            provider="aws",
        )
    return base64.b64encode(raw).decode("ascii")
