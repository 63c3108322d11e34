"""Shared state of the emulator: resources by self link, URL helpers, ids and timestamps.

Resources are kept as the library's own proto-plus messages, keyed by their canonical self link
(``https://www.googleapis.com/compute/v1/projects/{p}/{scope}/{collection}/{name}``), which is
also how GCE resources refer to each other. References in requests may be full URLs or partial
paths (``global/instanceTemplates/x``, ``projects/p/regions/r/instanceGroups/x``), as GCE accepts.
"""

from __future__ import annotations

import base64
import datetime
import re
import secrets
import threading
from typing import TypeVar

import proto

from .clock import Clock
from .errors import already_exists, invalid, not_found

API_ROOT = "https://www.googleapis.com/compute/v1/"
_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
M = TypeVar("M", bound=proto.Message)


def scope_path(project: str, region: str | None = None, zone: str | None = None) -> str:
    """``projects/p/global``, ``projects/p/regions/r`` or ``projects/p/zones/z``."""
    if zone:
        return f"projects/{project}/zones/{zone}"
    if region:
        return f"projects/{project}/regions/{region}"
    return f"projects/{project}/global"


def link(scope: str, collection: str, name: str) -> str:
    return f"{API_ROOT}{scope}/{collection}/{name}"


def region_url(project: str, region: str) -> str:
    return f"{API_ROOT}projects/{project}/regions/{region}"


def zone_url(project: str, zone: str) -> str:
    return f"{API_ROOT}projects/{project}/zones/{zone}"


def resolve(reference: str, project: str, region: str | None = None) -> str:
    """Canonical self link of a reference given as a URL or a partial path."""
    path = reference
    for prefix in (API_ROOT, "https://compute.googleapis.com/compute/v1/", "compute/v1/"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
    path = path.lstrip("/")
    if not path.startswith("projects/"):
        if path.startswith(("global/", "regions/", "zones/")):
            path = f"projects/{project}/{path}"
        elif region is not None and "/" in path:
            path = f"projects/{project}/regions/{region}/{path}"
        else:
            raise invalid(f"Invalid value for field 'resource': '{reference}'. Not a resource URL.")
    return API_ROOT + path


def short(self_link: str) -> str:
    """``projects/p/.../name``: the path GCE quotes in its error messages."""
    return self_link.removeprefix(API_ROOT)


def last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def check_name(name: str, field: str = "resource.name") -> None:
    """GCE's RFC 1035 name rule; the one cloudrig's naming must respect."""
    if not _NAME.fullmatch(name or ""):
        raise invalid(
            f"Invalid value for field '{field}': '{name}'. "
            "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'"
        )


_LABEL_KEY = re.compile(r"[a-z\u00e0-\uffff][-_a-z0-9\u00e0-\uffff]{0,62}")
_LABEL_VALUE = re.compile(r"[-_a-z0-9\u00e0-\uffff]{0,63}")
MAX_LABELS = 64


def check_labels(labels: dict[str, str], field: str) -> None:
    """GCE's label rules (Compute "Organize resources using labels"): at most 64; keys 1-63
    characters starting with a lowercase letter; keys and values only lowercase letters, digits,
    ``_`` and ``-`` (international letters allowed), values at most 63 characters."""
    if len(labels) > MAX_LABELS:
        raise invalid(f"Invalid value for field '{field}': at most {MAX_LABELS} labels.")
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            raise invalid(
                f"Invalid value for field '{field}': label key '{key}' violates format "
                "constraints. The key must start with a lowercase character, can only contain "
                "lowercase letters, numeric characters, underscores and dashes, and have at most "
                "63 characters."
            )
        if not _LABEL_VALUE.fullmatch(value):
            raise invalid(
                f"Invalid value for field '{field}': label value '{value}' violates format "
                "constraints. The value can only contain lowercase letters, numeric characters, "
                "underscores and dashes, and have at most 63 characters."
            )


def new_fingerprint() -> str:
    return base64.b64encode(secrets.token_bytes(8)).decode()


class Store:
    """Every stored resource plus the clock and id source; guarded by one re-entrant lock."""

    def __init__(self, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.resources: dict[str, proto.Message] = {}

    def reset(self) -> None:
        with self.lock:
            self.resources.clear()

    def new_id(self) -> int:
        return secrets.randbits(63)

    def timestamp(self) -> str:
        moment = datetime.datetime.fromtimestamp(self.clock.wall(), datetime.UTC)
        return moment.astimezone(datetime.timezone(datetime.timedelta(hours=-8))).isoformat(
            timespec="milliseconds"
        )

    def get(self, self_link: str, kind: type[M]) -> M:
        found = self.resources.get(self_link)
        if not isinstance(found, kind):
            raise not_found(short(self_link))
        return found

    def find(self, self_link: str, kind: type[M]) -> M | None:
        found = self.resources.get(self_link)
        return found if isinstance(found, kind) else None

    def create(self, self_link: str, resource: proto.Message) -> None:
        if self_link in self.resources:
            raise already_exists(short(self_link))
        self.resources[self_link] = resource

    def in_scope(self, prefix: str, kind: type[M]) -> list[M]:
        """Resources of one type whose self link starts with ``prefix`` (a collection URL)."""
        return [
            r
            for key, r in sorted(self.resources.items())
            if key.startswith(prefix) and isinstance(r, kind)
        ]
