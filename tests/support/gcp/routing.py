"""Routes and request parsing taken from the google-cloud-compute library itself.

Nothing here is typed in by hand: each route's HTTP method, URI template and body field come from
the library's REST transport (``_Base<Method>._get_http_options()``), and its request and response
types from the transport's ``__call__`` annotations. A request is rebuilt into the library's own
request message (path parameters, query parameters and body), with unknown fields rejected, so the
emulator cannot accept a call or a field that the real client would not send.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import proto
from google.protobuf import descriptor, json_format

from .errors import invalid

# Query parameters the transport always adds (response format), not part of the request message.
_SYSTEM_QUERY_PARAMS = {"$alt"}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _pascal(snake: str) -> str:
    return "".join(part.title() for part in snake.split("_"))


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


@dataclass(frozen=True)
class Route:
    """One Compute REST method, e.g. ``regionInstanceGroupManagers.resize``."""

    method_id: str
    http_method: str
    uri_template: str
    pattern: re.Pattern[str]
    body_field: str | None
    request_type: type[proto.Message]
    response_type: type[proto.Message]

    def match(self, http_method: str, path: str) -> dict[str, str] | None:
        if http_method != self.http_method:
            return None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {k: urllib.parse.unquote(v) for k, v in found.groupdict().items()}


def route_for(method_id: str) -> Route:
    """Build the route of ``<collection>.<method>`` from the library's REST transport."""
    collection, method = method_id.split(".")
    module = importlib.import_module(
        f"google.cloud.compute_v1.services.{_snake(collection)}.transports.rest"
    )
    transport = next(
        cls
        for name, cls in vars(module).items()
        if name.endswith("RestTransport") and not name.startswith("_") and inspect.isclass(cls)
    )
    stub = getattr(transport, f"_{_pascal(_snake(method))}")
    (options,) = stub._get_http_options()
    signature = inspect.signature(stub.__call__)
    template: str = options["uri"]
    if "=" in template:
        raise ValueError(f"unsupported URI template {template}")
    pattern = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template))
    return Route(
        method_id=method_id,
        http_method=options["method"].upper(),
        uri_template=template,
        pattern=pattern,
        body_field=options.get("body"),
        request_type=signature.parameters["request"].annotation,
        response_type=signature.return_annotation,
    )


def _query_value(field: descriptor.FieldDescriptor, raw: str) -> Any:
    if field.type == descriptor.FieldDescriptor.TYPE_BOOL:
        if raw not in ("true", "false"):
            raise invalid(f"Invalid value for boolean parameter '{field.json_name}': '{raw}'")
        return raw == "true"
    return raw


def parse_request(
    route: Route, path_params: dict[str, str], query: dict[str, list[str]], body: bytes
) -> tuple[proto.Message, set[str]]:
    """Rebuild the library's request message; return it with the JSON keys present in the body.

    The body keys let PATCH distinguish "field absent" from "field sent empty" (JSON merge
    semantics), which the parsed message alone cannot.
    """
    pb_descriptor = route.request_type.pb().DESCRIPTOR
    fields = {f.json_name: f for f in pb_descriptor.fields} | {
        f.name: f for f in pb_descriptor.fields
    }
    document: dict[str, Any] = dict(path_params)
    for key, values in query.items():
        if key in _SYSTEM_QUERY_PARAMS:
            continue
        field = fields.get(key)
        if field is None or (route.body_field and field.name == route.body_field):
            raise invalid(
                f'Invalid JSON payload received. Unknown name "{key}": Cannot bind query parameter.'
            )
        if field.is_repeated:
            document[field.json_name] = [_query_value(field, v) for v in values]
        else:
            document[field.json_name] = _query_value(field, values[-1])
    body_keys: set[str] = set()
    if route.body_field:
        if not body.strip():
            raise invalid("Required field 'resource' not specified")
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise invalid(f"Invalid JSON payload received. {error}") from None
        if not isinstance(payload, dict):
            raise invalid("Invalid JSON payload received. Expected an object.")
        body_keys = set(payload)
        document[fields[route.body_field].json_name] = payload
    elif body.strip():
        raise invalid(f"Method {route.method_id} does not take a request body")
    message = route.request_type()
    try:
        json_format.ParseDict(document, route.request_type.pb(message), ignore_unknown_fields=False)
    except json_format.ParseError as error:
        raise invalid(f"Invalid JSON payload received. {error}") from None
    return message, body_keys


def wants_int_enums(query: dict[str, list[str]]) -> bool:
    """The client asks ``$alt=json;enum-encoding=int``; GCE then answers enums as integers."""
    return any("enum-encoding=int" in value for value in query.get("$alt", []))
