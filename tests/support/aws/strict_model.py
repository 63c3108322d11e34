"""A request checked against its botocore service model the way AWS checks it.

botocore validates required members, types and minimums only; AWS's front ends also refuse
strings longer than ``max``, strings that do not match the member's ``pattern``, values outside
an ``enum``, numbers outside their ``min``/``max`` range and lists or maps outside their sizes.
``violations(operation_model, params)`` returns every such rule a request breaks, each naming the
operation, the member path and the rule.

Patterns are Java regular expressions, matched against the whole value as AWS's validators do
(its answer quotes the pattern: "Member must satisfy regular expression pattern: …"). They are
translated for the ``regex`` module (which knows ``\\p{L}`` and friends): a UTF-16 surrogate pair
such as ``\\uD800\\uDC00`` becomes the code point it encodes, and ``\\w``/``\\d``, ASCII in Java,
are spelled out as ASCII classes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import regex
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape


@dataclass(frozen=True)
class Violation:
    """One rule a request breaks: ``operation`` (``CreateLaunchTemplate``), ``member`` (a dotted
    path, ``LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit``), ``rule``
    (``max 64``, ``pattern …``, ``required``, ``enum …``) and the offending value."""

    service: str
    operation: str
    member: str
    rule: str
    value: str = ""
    source: str = "botocore model"

    def __str__(self) -> str:
        shown = f" (value {self.value})" if self.value else ""
        return (
            f"{self.service} {self.operation}: {self.member or '(request)'} breaks {self.rule}"
            f"{shown} [{self.source}]"
        )


_Found = list[tuple[str, str, str]]  # (member path, rule, value shown)
_ASCII_CLASSES = {"w": "a-zA-Z0-9_", "d": "0-9"}


def java_pattern(pattern: str) -> str:
    """A Java regex as the ``regex`` module reads it (see the module docstring)."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            pair = _surrogate_pair(pattern, i)
            if pair is not None:
                out.append(f"\\U{pair:08x}")
                i += 12
                continue
            if nxt in _ASCII_CLASSES:
                chars = _ASCII_CLASSES[nxt]
                out.append(chars if depth else f"[{chars}]")
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "".join(out)


def _surrogate_pair(pattern: str, i: int) -> int | None:
    chunk = pattern[i : i + 12]
    if len(chunk) < 12 or chunk[:2].lower() != "\\u" or chunk[6:8].lower() != "\\u":
        return None
    try:
        high, low = int(chunk[2:6], 16), int(chunk[8:12], 16)
    except ValueError:
        return None
    if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    return None


@functools.lru_cache(maxsize=2048)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(java_pattern(pattern))


def violations(operation: OperationModel, params: dict[str, Any]) -> list[Violation]:
    """Every model rule ``params`` (the keyword arguments of the boto3 call) break."""
    found: _Found = []
    shape = operation.input_shape
    if shape is not None:
        _check(shape, params, "", found)
    service = operation.service_model.service_name
    return [
        Violation(service, operation.name, member, rule, value) for member, rule, value in found
    ]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check(shape: Shape, value: Any, path: str, out: _Found) -> None:
    if value is None:
        return
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return  # a type error: botocore's own validator names it
        for name in shape.required_members:
            member = shape.members.get(name)
            idempotent = member is not None and member.metadata.get("idempotencyToken")
            if value.get(name) is None and not idempotent:
                out.append((_join(path, name), "required", ""))
        if shape.metadata.get("union") and sum(v is not None for v in value.values()) != 1:
            out.append((path, "union: exactly one member set", _show(sorted(value))))
        for name, item in value.items():
            if name in shape.members:
                _check(shape.members[name], item, _join(path, name), out)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, list | tuple):
            return
        _size(meta, len(value), path, "items", out)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{path}[{index}]", out)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return
        _size(meta, len(value), path, "entries", out)
        for key, item in value.items():
            _check(shape.key, key, f"{path}.<key>", out)
            _check(shape.value, item, f"{path}[{key!r}]", out)
        return
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        _size(meta, len(value), path, "characters", out, value)
        enum = meta.get("enum")
        if enum and value not in enum:
            out.append((path, f"enum {sorted(enum)}", _show(value)))
        pattern = meta.get("pattern")
        if pattern and _compiled(pattern).fullmatch(value) is None:
            out.append((path, f"pattern {pattern}", _show(value)))
    elif kind == "blob" and isinstance(value, str | bytes | bytearray):
        size = len(value.encode() if isinstance(value, str) else value)
        _size(meta, size, path, "bytes", out)
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if "min" in meta and value < meta["min"]:
            out.append((path, f"range min {meta['min']}", _show(value)))
        if "max" in meta and value > meta["max"]:
            out.append((path, f"range max {meta['max']}", _show(value)))


def _size(
    meta: dict[str, Any], size: int, path: str, unit: str, out: _Found, value: Any = None
) -> None:
    shown = _show(value) if value is not None else f"{size} {unit}"
    if "min" in meta and size < meta["min"]:
        out.append((path, f"length min {meta['min']} {unit}", shown))
    if "max" in meta and size > meta["max"]:
        out.append((path, f"length max {meta['max']} {unit}", shown))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
