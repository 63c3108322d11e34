"""Secret references in configuration: ``env:NAME`` or ``file:PATH``, never a literal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, SecretStr


def _resolve_secret(value: Any) -> Any:
    """Resolve ``env:NAME`` or ``file:PATH`` into a ``SecretStr``. Messages never echo the value:
    a literal secret pasted by mistake must not end up in an error or a log."""
    if isinstance(value, SecretStr):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a secret reference 'env:NAME' or 'file:PATH'")
    scheme, sep, ref = value.partition(":")
    if sep and scheme == "env" and ref:
        if ref not in os.environ:
            raise ValueError(f"secret reference env:{ref}: environment variable {ref} is not set")
        return SecretStr(os.environ[ref])
    if sep and scheme == "file" and ref:
        path = Path(ref).expanduser()
        try:
            return SecretStr(path.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ValueError(f"secret reference file:{ref}: {exc.strerror}") from None
    raise ValueError(
        "must be a secret reference 'env:NAME' or 'file:PATH' (literal secrets are not accepted "
        "in configuration)"
    )


Secret = Annotated[SecretStr, BeforeValidator(_resolve_secret)]
"""A credential in account settings: given as ``env:NAME`` or ``file:PATH``, held as ``SecretStr``."""
