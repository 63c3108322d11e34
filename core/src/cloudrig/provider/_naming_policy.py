"""Mapping any Unicode moniker to a name a cloud accepts, deterministically.

Each provider declares a ``NamingPolicy``: the characters its cloud allows, the maximum length, and
whether names are lowercase. A moniker whose Frigga name is already valid keeps it exactly (so names
stay readable and compatible); anything else is mapped — disallowed characters dropped, case folded,
parts truncated — and a 65-bit hash of the original moniker is appended, so two different monikers
cannot silently share a name. A hash collision is still possible in theory: providers then find an
existing resource whose stored moniker differs and raise ``Conflict`` instead of adopting it.
"""

from __future__ import annotations

import base64
import hashlib
import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

# At run time, so typing.get_type_hints resolves the methods' signatures (the public API does);
# the neutral model's classes are cheap to define, their validators are built on first use.
from cloudrig._model._resources import Moniker

# 13 base32 characters = 65 bits of SHA-256.
HASH_LENGTH = 13
_VERSION_SUFFIX = len("-v000")
_HASH_ALPHABET = set("abcdefghijklmnopqrstuvwxyz234567")


def _digest(moniker: Moniker) -> str:
    """The hash of a moniker's cluster identity (app, stack, detail): stable across releases."""
    return _digest_parts(moniker.app, moniker.stack, moniker.detail)


def _digest_parts(*parts: str) -> str:
    import json  # here: a plugin that only declares its policy never loads it

    # surrogatepass: free-form resource names are not validated as Unicode text; for valid text
    # the bytes (and so the hash) are plain UTF-8.
    canonical = json.dumps(list(parts), ensure_ascii=False)
    raw = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()
    return base64.b32encode(raw).decode("ascii").lower()[:HASH_LENGTH]


class NamingPolicy(BaseModel):
    """A cloud's rules for resource names.

    ``allowed`` is a regular-expression character class body (e.g. ``a-z0-9``) of the characters a
    part may contain besides the ``-`` separator; ``max_length`` applies to the full server group
    name including ``-v000``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_length: int = Field(ge=HASH_LENGTH + _VERSION_SUFFIX + 4)
    allowed: str = "a-zA-Z0-9"
    lowercase: bool = False
    must_start_with_letter: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> NamingPolicy:
        if re.fullmatch(f"[{self.allowed}]+", "".join(sorted(_HASH_ALPHABET))) is None:
            raise ValueError("the allowed characters must include a-z and 2-7 (the hash alphabet)")
        if re.fullmatch(f"[{self.allowed}]", "-") is not None:
            raise ValueError("'-' is the separator and must not be in the allowed characters")
        return self

    def is_lossless(self, moniker: Moniker) -> bool:
        """True when the moniker's Frigga cluster name is valid as it is (and is kept unchanged).

        App and stack may not contain '-' (it separates them); detail may.
        """
        token = f"[{self.allowed}]*"
        if not all(re.fullmatch(token, p) for p in (moniker.app, moniker.stack)):
            return False
        if re.fullmatch(f"[{self.allowed}-]*", moniker.detail) is None:
            return False
        return self._acceptable(moniker.cluster, self.max_length - _VERSION_SUFFIX)

    def cluster_name(self, moniker: Moniker) -> str:
        """The cloud name of the moniker's cluster (without the version suffix)."""
        if self.is_lossless(moniker):
            return moniker.cluster
        app, stack, detail = (self._clean(p) for p in (moniker.app, moniker.stack, moniker.detail))
        readable = Moniker(app=app or "x", stack=stack, detail=detail).cluster
        return self._with_hash(readable, _digest(moniker), self.max_length - _VERSION_SUFFIX)

    def server_group_name(self, moniker: Moniker) -> str:
        """``cluster_name(moniker)-vNNN``; the moniker must carry a sequence."""
        if moniker.sequence is None:
            raise ValueError("a server group name needs a moniker with a sequence")
        return f"{self.cluster_name(moniker)}-v{moniker.sequence:03d}"

    def resource_name(self, name: str, max_length: int | None = None) -> str:
        """Map a free-form resource name (load balancer, security group, target group) the same
        way: kept when valid, else cleaned and suffixed with the hash of the original."""
        limit = min(max_length or self.max_length, self.max_length)
        if re.fullmatch(f"[{self.allowed}-]+", name) and self._acceptable(name, limit):
            return name
        cleaned = "-".join(filter(None, (self._clean(p) for p in name.split("-"))))
        return self._with_hash(cleaned or "x", _digest_parts(name, "", ""), limit)

    def _acceptable(self, name: str, limit: int) -> bool:
        if self.lowercase and name != name.lower():
            return False
        if self.must_start_with_letter and not name[:1].isalpha():
            return False
        return 0 < len(name) <= limit

    def _with_hash(self, readable: str, digest: str, limit: int) -> str:
        if self.must_start_with_letter and not readable[:1].isalpha():
            readable = "x" + readable
        room = max(limit - HASH_LENGTH - 1, 0)
        readable = readable[:room].rstrip("-")
        return f"{readable}-{digest}" if readable else digest

    def _clean(self, part: str) -> str:
        """Fold to ASCII where Unicode has a decomposition, case-fold if needed, drop the rest."""
        import unicodedata

        text = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode("ascii")
        if self.lowercase:
            text = text.lower()
        return re.sub(f"[^{self.allowed}]", "", text)
