"""The spec's artifact as Lambda code: an S3 object, a local zip file or a container image."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cloudrig import InvalidSpec

_IMAGE = re.compile(r"^[\w.-]+(:\d+)?/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")


def code_of(artifact: str) -> dict[str, Any]:
    """``Code`` for ``CreateFunction`` (also the keyword arguments of ``UpdateFunctionCode``)."""
    if artifact.startswith("s3://"):
        bucket, _, key = artifact[5:].partition("/")
        if not bucket or not key:
            raise InvalidSpec(f"artifact {artifact!r}: expected s3://bucket/key")
        return {"S3Bucket": bucket, "S3Key": key}
    if artifact.endswith(".zip"):
        path = Path(artifact)
        if not path.is_file():
            raise InvalidSpec(f"artifact {artifact!r}: no such zip file")
        return {"ZipFile": path.read_bytes()}
    if _IMAGE.match(artifact):
        return {"ImageUri": artifact}
    raise InvalidSpec(
        f"artifact {artifact!r}: expected s3://bucket/key, a .zip file or a container image URI"
    )


def is_image(code: dict[str, Any]) -> bool:
    return "ImageUri" in code
