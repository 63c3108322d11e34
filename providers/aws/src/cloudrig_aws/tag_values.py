"""Tag values in the alphabet of ECS, ELBv2 and Lambda tags, round-tripping any Unicode text.

Those services take tag values of at most 256 characters matching ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``
(the ``TagValue`` shape of their botocore models); keys the same alphabet, 128 characters. EC2 and
Auto Scaling tags take any character, these three do not, so cloudrig's own values — monikers
that may hold ``,&!#'`` or emoji, lists of load balancers and security groups, JSON — are encoded:

- ``encode``: a character outside the alphabet, and ``=`` itself, becomes ``=<hex code point>_``
  (``,`` → ``=2c_``, ``😀`` → ``=1f600_``); everything else is kept, so a value that was in the
  alphabet already reads as it is (``shop``, ``public.ecr.aws/shop/web:1``);
- ``encode_list``: each item encoded with ``+`` escaped too, joined by ``+``.

Decoding takes ``=`` followed by 1 to 6 hex digits and ``_`` as an escape and every other character
literally, so a value written before this encoding (cloudrig wrote the text as it was) decodes to
itself unless it contained such a sequence; a list written before was one name (AWS refused the
comma-joined lists), read back as one name unless it contained ``+``.

Imports the standard library only (no boto3).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

MAX_VALUE = 256
MAX_KEY = 128
ESCAPE, SEPARATOR = "=", "+"
_PUNCTUATION = frozenset("_.:/=+-@")
_CATEGORIES = ("L", "Z", "N")  # \p{L}, \p{Z}, \p{N}: letters, separators, numbers
_ESCAPED = re.compile(r"=([0-9a-f]{1,6})_")


def allowed(char: str) -> bool:
    """Whether ``char`` is in the tag alphabet of ECS, ELBv2 and Lambda."""
    return char in _PUNCTUATION or unicodedata.category(char)[0] in _CATEGORIES


def valid(text: str, limit: int = MAX_VALUE) -> bool:
    """Whether ``text`` may be sent as it is (a tag value by default, ``MAX_KEY`` for keys)."""
    return len(text) <= limit and all(allowed(c) for c in text)


def _escape(char: str, extra: str) -> str:
    if char == ESCAPE or char in extra or not allowed(char):
        return f"{ESCAPE}{ord(char):x}_"
    return char


def encode(text: str, *, extra: str = "") -> str:
    """``text`` in the tag alphabet (``extra``: more characters to escape)."""
    return "".join(_escape(c, extra) for c in text)


def decode(value: str) -> str:
    """The text ``encode`` was given (a value written before the encoding: itself)."""
    if ESCAPE not in value:
        return value

    def one(match: re.Match[str]) -> str:
        point = int(match[1], 16)
        return chr(point) if point <= 0x10FFFF else match[0]

    return _ESCAPED.sub(one, value)


def encode_list(items: Iterable[str]) -> str:
    return SEPARATOR.join(encode(item, extra=SEPARATOR) for item in items)


def decode_list(value: str) -> tuple[str, ...]:
    return tuple(decode(item) for item in value.split(SEPARATOR) if item)


def too_long(tags: Mapping[str, str]) -> list[str]:
    """The keys of ``tags`` (values already encoded) whose value exceeds ``MAX_VALUE``."""
    return sorted(k for k, v in tags.items() if len(v) > MAX_VALUE)


def refused(tags: Mapping[str, str]) -> list[str]:
    """The keys of user-given ``tags`` these services would refuse (key or value outside the
    alphabet or too long), for one clear error before anything is created."""
    return sorted(k for k, v in tags.items() if not (valid(k, MAX_KEY) and k and valid(v)))
