"""The Compute ``filter`` list parameter, evaluated against a resource's JSON (camelCase) form.

Hand-written because no library parses it: Compute accepts two syntaxes that cannot be mixed
(documented on every ``List*Request.filter`` of google-cloud-compute):

- regular expressions: ``name eq my-.*``, ``name ne 'x'``, ``(name eq a.*) (zone ne "b")`` —
  RE2 full match (Python's ``re`` here, which agrees on the patterns tests use);
- AIP-160: ``name = "x"``, ``name != x``, ``labels.env = prod``, ``labels.owner:*``, ``<``, ``>``,
  ``<=``, ``>=``, with ``*`` wildcards in string literals, and parenthesized terms joined by
  implicit AND or explicit ``AND``/``OR`` (evaluated left to right, as the docs' example reads).

Anything else is refused with 400 invalid rather than silently matching everything.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

from .errors import invalid

Predicate = Callable[[dict[str, Any]], bool]

_TERM = re.compile(
    r"""\s*(?P<field>[A-Za-z_][\w.]*)\s*
        (?P<op>\beq\b|\bne\b|!=|<=|>=|=|<|>|:)\s*
        (?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s()]+)\s*""",
    re.VERBOSE,
)


def _lookup(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _compare(actual: Any, op: str, literal: str) -> bool:
    if op == ":":
        if literal == "*":
            return actual is not None
        if isinstance(actual, list):
            return any(fnmatch.fnmatchcase(_as_text(a), literal) for a in actual)
        return fnmatch.fnmatchcase(_as_text(actual), literal)
    if op in ("=", "!="):
        matched = actual is not None and fnmatch.fnmatchcase(_as_text(actual), literal)
        return matched if op == "=" else not matched
    try:
        left: Any = float(actual)
        right: Any = float(literal)
    except (TypeError, ValueError):
        left, right = _as_text(actual), literal
    return bool(
        {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    )


def _term(field: str, op: str, literal: str) -> Predicate:
    if op in ("eq", "ne"):
        try:
            pattern = re.compile(literal)
        except re.error as error:
            raise invalid(f"Invalid value for field 'filter': '{literal}'. {error}") from None

        def regex(resource: dict[str, Any]) -> bool:
            matched = pattern.fullmatch(_as_text(_lookup(resource, field))) is not None
            return matched if op == "eq" else not matched

        return regex
    return lambda resource: _compare(_lookup(resource, field), op, literal)


def parse(expression: str) -> Predicate:
    """A predicate over resource JSON dicts; an empty filter matches everything."""
    text = expression.strip()
    if not text:
        return lambda resource: True
    unparenthesized = _TERM.fullmatch(text)
    if unparenthesized and unparenthesized["op"] in ("eq", "ne"):
        # The regex syntax allows one bare term whose literal may contain spaces.
        field, op = unparenthesized["field"], unparenthesized["op"]
        return _term(field, op, _unquote(unparenthesized["value"]))
    if unparenthesized is None:
        bare = re.fullmatch(r"\s*([A-Za-z_][\w.]*)\s+(eq|ne)\s+(.+?)\s*", text)
        if bare:
            return _term(bare[1], bare[2], _unquote(bare[3]))
    terms: list[tuple[str, Predicate]] = []
    syntaxes: set[str] = set()
    rest = text
    joiner = "AND"
    while rest:
        if not terms or rest[0] == "(" or re.match(r"[A-Za-z_]", rest):
            inner = rest
            if rest.startswith("("):
                close = rest.find(")")
                if close < 0:
                    raise invalid(f"Invalid value for field 'filter': '{expression}'.")
                inner, rest = rest[1:close], rest[close + 1 :].lstrip()
            else:
                found = _TERM.match(rest)
                if found is None:
                    raise invalid(f"Invalid value for field 'filter': '{expression}'.")
                inner, rest = found.group(0), rest[found.end() :].lstrip()
            term = _TERM.fullmatch(inner)
            if term is None:
                raise invalid(f"Invalid value for field 'filter': '{expression}'.")
            syntaxes.add("regex" if term["op"] in ("eq", "ne") else "aip160")
            terms.append((joiner, _term(term["field"], term["op"], _unquote(term["value"]))))
            joiner = "AND"
            keyword = re.match(r"(AND|OR)\s+", rest)
            if keyword:
                joiner, rest = keyword[1], rest[keyword.end() :]
        else:
            raise invalid(f"Invalid value for field 'filter': '{expression}'.")
    if len(syntaxes) > 1:
        raise invalid(
            "Invalid value for field 'filter': regular expression and AIP-160 terms cannot be mixed."
        )

    def combined(resource: dict[str, Any]) -> bool:
        result = True
        for index, (how, predicate) in enumerate(terms):
            value = predicate(resource)
            result = (
                value if index == 0 else (result and value if how == "AND" else result or value)
            )
        return result

    return combined
