"""The resource-generic part of the Compute API: insert/get/list/delete/patch/update on a collection.

Each resource family module (templates, health checks, firewalls, backend services, instance
group managers) describes its collection once and adds its own validation and side effects;
this module owns what GCE does the same way for all of them: self links, ids, timestamps,
``kind``, 409 on duplicate names, 404 on missing ones, list filtering and paging, and PATCH's
JSON-merge semantics.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import proto
from google.protobuf import message as pb_message

from . import filters
from .errors import already_exists, invalid
from .store import API_ROOT, Store, check_name, link, region_url, scope_path, short, zone_url

M = TypeVar("M", bound=proto.Message)
DEFAULT_PAGE_SIZE = 500


@dataclass
class Mutation:
    """An accepted mutation: the server wraps it in an Operation and applies it unless faulted."""

    operation_type: str
    target_link: str
    apply: Callable[[], int | None]


def to_dict(resource: proto.Message) -> dict[str, Any]:
    """The resource's JSON form (camelCase), as filters and clients see it."""
    data: dict[str, Any] = json.loads(type(resource).to_json(resource))
    return data


def page(items: list[M], request: Any) -> tuple[list[M], str]:
    """Apply ``filter``, ``maxResults`` and ``pageToken``; return the page and the next token."""
    predicate = filters.parse(getattr(request, "filter", "") or "")
    matched = [item for item in items if predicate(to_dict(item))]
    size = getattr(request, "max_results", 0) or DEFAULT_PAGE_SIZE
    if not 0 < size <= DEFAULT_PAGE_SIZE:
        raise invalid(f"Invalid value for field 'maxResults': '{size}'. Must be in [0, 500].")
    token = getattr(request, "page_token", "") or ""
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise invalid(f"Invalid value for field 'pageToken': '{token}'.") from None
    end = start + size
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(matched) else ""
    return matched[start:end], next_token


def merge_patch(target: pb_message.Message, patch: pb_message.Message, keys: set[str]) -> None:
    """JSON-merge ``patch`` into ``target``: only keys present in the request body change.

    Repeated fields and maps are replaced whole; nested messages merge recursively, like GCE.
    """
    by_json = {f.json_name: f for f in patch.DESCRIPTOR.fields} | {
        f.name: f for f in patch.DESCRIPTOR.fields
    }
    for key in keys:
        field = by_json[key]
        if field.message_type is not None and not _repeated(field):
            if not patch.HasField(field.name):  # sent as null: cleared
                target.ClearField(field.name)
                continue
            patch_sub = getattr(patch, field.name)
            present = {f.json_name for f, _ in patch_sub.ListFields()}
            merge_patch(getattr(target, field.name), patch_sub, present)
            getattr(target, field.name).SetInParent()
            continue
        target.ClearField(field.name)
        if _repeated(field):
            getattr(target, field.name).MergeFrom(getattr(patch, field.name))
        elif not field.has_presence or patch.HasField(field.name):
            setattr(target, field.name, getattr(patch, field.name))


def _repeated(field: Any) -> bool:
    return bool(field.is_repeated)


class Collection(Generic[M]):
    """One Compute collection (``global/firewalls``, ``regions/{r}/backendServices``, ...)."""

    def __init__(
        self,
        store: Store,
        *,
        collection: str,
        message: type[M],
        list_message: type[proto.Message],
        kind: str,
        name_field: str,
        body_field: str,
        regional: bool,
        zonal: bool = False,
    ) -> None:
        self.store = store
        self.collection = collection
        self.message = message
        self.list_message = list_message
        self.kind = kind
        self.name_field = name_field
        self.body_field = body_field
        self.regional = regional
        self.zonal = zonal

    def scope(self, request: Any) -> str:
        if self.zonal:
            return scope_path(request.project, zone=request.zone)
        return scope_path(request.project, request.region if self.regional else None)

    def self_link(self, request: Any, name: str | None = None) -> str:
        return link(self.scope(request), self.collection, name or getattr(request, self.name_field))

    def body(self, request: Any) -> M:
        resource: M = self.message(getattr(request, self.body_field))
        return resource

    def stamp(self, request: Any, resource: M) -> M:
        """Fill the output-only fields GCE sets on insert (client-sent values are overwritten)."""
        check_name(resource.name)
        resource.self_link = self.self_link(request, resource.name)
        resource.kind = self.kind
        resource.id = self.store.new_id()
        resource.creation_timestamp = self.store.timestamp()
        if self.regional:
            resource.region = region_url(request.project, request.region)
        if self.zonal:
            resource.zone = zone_url(request.project, request.zone)
        return resource

    def insert(self, request: Any, resource: M) -> Mutation:
        """Stamp ``resource`` and accept its insert (409 if the name is taken)."""
        self.stamp(request, resource)
        target = resource.self_link
        if target in self.store.resources:  # checked now: GCE answers 409 synchronously
            raise already_exists(short(target))

        def apply() -> int:
            self.store.create(target, resource)
            return int(resource.id)

        return Mutation("insert", target, apply)

    def get(self, request: Any) -> M:
        return self.store.get(self.self_link(request), self.message)

    def list(self, request: Any) -> proto.Message:
        prefix = link(self.scope(request), self.collection, "")
        items, next_token = page(self.store.in_scope(prefix, self.message), request)
        result = self.list_message(
            kind=f"{self.kind}List",
            id=prefix.removesuffix("/").removeprefix("https://www.googleapis.com/compute/v1/"),
            self_link=prefix.removesuffix("/"),
            items=items,
        )
        if next_token:
            result.next_page_token = next_token
        return result

    def delete(self, request: Any, check: Callable[[M], None] | None = None) -> Mutation:
        current = self.get(request)
        if check is not None:
            check(current)
        target = current.self_link

        def apply() -> int:
            self.store.resources.pop(target, None)
            return int(current.id)

        return Mutation("delete", target, apply)

    def replace(
        self,
        request: Any,
        body_keys: set[str],
        *,
        patch: bool,
        validate: Callable[[M, M], None] | None = None,
    ) -> Mutation:
        """PATCH (merge ``body_keys``) or PUT (replace); ``validate(old, new)`` may refuse it.

        Identity fields (name, id, selfLink, creationTimestamp, kind, region) never change.
        """
        current = self.get(request)
        new = self.message(current) if patch else self.body(request)
        if patch:
            merge_patch(self.message.pb(new), self.message.pb(self.body(request)), body_keys)
        if new.name != current.name:
            raise invalid(
                f"Invalid value for field 'resource.name': '{new.name}'. Name cannot be changed."
            )
        if validate is not None:
            validate(current, new)
        for field in ("id", "self_link", "creation_timestamp", "kind"):
            setattr(new, field, getattr(current, field))
        if self.regional:
            new.region = current.region
        if self.zonal:
            new.zone = current.zone

        def apply() -> int:
            self.store.resources[current.self_link] = new
            return int(current.id)

        return Mutation("patch" if patch else "update", current.self_link, apply)


def aggregated(
    store: Store,
    request: Any,
    *,
    message: type[M],
    collection: str,
    list_message: type[proto.Message],
    scoped_message: type[proto.Message],
    field: str,
    shown: Callable[[M], M] = lambda resource: resource,
) -> proto.Message:
    """``<collection>.aggregatedList``: every resource of one type in the project, zonal and
    regional, keyed by scope (``zones/us-central1-a``, ``regions/us-central1``). ``filter``,
    ``maxResults`` and ``pageToken`` apply to the resources across scopes; scopes without any on
    the page are left out (GCE lists them with a NO_RESULTS_ON_PAGE warning)."""
    prefix = f"{API_ROOT}projects/{request.project}/"
    found = [shown(r) for r in store.in_scope(prefix, message) if f"/{collection}/" in r.self_link]
    chunk, token = page(found, request)
    by_scope: dict[str, list[M]] = {}
    for resource in chunk:
        scope = resource.self_link.removeprefix(prefix).split(f"/{collection}/")[0]
        by_scope.setdefault(scope, []).append(resource)
    result = list_message(
        kind=f"compute#{collection[:-1]}AggregatedList",
        id=f"projects/{request.project}/aggregated/{collection}",
        self_link=f"{prefix}aggregated/{collection}",
        items={scope: scoped_message(**{field: items}) for scope, items in by_scope.items()},
    )
    if token:
        result.next_page_token = token
    return result
