"""The spec's artifact as Lambda code: an S3 object, a local zip file or a container image.

A local zip goes inline (``ZipFile``) up to Lambda's direct upload limit (50 MB); above it, it is
uploaded to ``settings.code_bucket`` first — ``PutObject`` through the account's gated client, so
the limiter admits it like every other request — under a key named by its SHA-256
(``cloudrig/<function>/<sha256>.zip``: a retried upload rewrites the same object, a second
deployment of the same zip finds it with one ``ListObjectsV2``) and the function takes it from there.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from cloudrig import InvalidSpec

_IMAGE = re.compile(r"^[\w.-]+(:\d+)?/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$")
DIRECT_UPLOAD_LIMIT = 50 * 1000 * 1000
"""Bytes of a zip file sent inline (Lambda's limit for a direct upload, docs: Lambda quotas)."""


def code_of(
    artifact: str, *, bucket: str | None = None, function: str = "", s3: Any = None
) -> dict[str, Any]:
    """``Code`` for ``CreateFunction`` (also the keyword arguments of ``UpdateFunctionCode``).
    ``s3`` (a gated S3 client) and ``bucket`` upload a local zip above the direct limit."""
    if artifact.startswith("s3://"):
        bucket_name, _, key = artifact[5:].partition("/")
        if not bucket_name or not key:
            raise InvalidSpec(f"artifact {artifact!r}: expected s3://bucket/key")
        return {"S3Bucket": bucket_name, "S3Key": key}
    if artifact.endswith(".zip"):
        path = Path(artifact)
        if not path.is_file():
            raise InvalidSpec(f"artifact {artifact!r}: no such zip file")
        size = path.stat().st_size
        if size <= DIRECT_UPLOAD_LIMIT:
            return {"ZipFile": path.read_bytes()}
        if bucket is None or s3 is None:
            raise InvalidSpec(
                f"artifact {artifact!r}: {size} bytes, above Lambda's direct upload limit of "
                f"{DIRECT_UPLOAD_LIMIT}; set settings.code_bucket to upload it through S3"
            )
        return upload(s3, path, bucket, function)
    if _IMAGE.match(artifact):
        return {"ImageUri": artifact}
    raise InvalidSpec(
        f"artifact {artifact!r}: expected s3://bucket/key, a .zip file or a container image URI"
    )


def upload(s3: Any, path: Path, bucket: str, function: str) -> dict[str, Any]:
    """Put ``path`` into ``bucket`` unless an object of its content is there already."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    key = f"cloudrig/{function}/{digest.hexdigest()}.zip"
    # ListObjectsV2 rather than HeadObject: its 404 has no error code to tell "no object" by.
    found = s3.call("list_objects_v2", resource=f"s3://{bucket}", Bucket=bucket, Prefix=key)
    if not any(o.get("Key") == key for o in found.get("Contents", [])):
        s3.call(
            "put_object",
            resource=f"s3://{bucket}/{key}",
            safe=True,  # the same key and content: repeating it is harmless
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),  # bytes, not a file: a retried attempt sends it all again
        )
    return {"S3Bucket": bucket, "S3Key": key}


def is_image(code: dict[str, Any]) -> bool:
    return "ImageUri" in code
