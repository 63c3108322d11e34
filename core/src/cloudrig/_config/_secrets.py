"""Secret references in configuration: ``env:NAME`` or ``file:PATH``, never a literal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import GetCoreSchemaHandler, SecretStr
from pydantic_core import core_schema


def _resolve_secret(value: Any) -> Any:
    """Resolve ``env:NAME`` or ``file:PATH`` into the secret's text (``Secret`` then holds it).
    Messages never echo the value: a literal secret pasted by mistake must not end up in an error
    or a log."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, SecretStr):  # already resolved (a model built from another's values)
        return value.get_secret_value()
    if not isinstance(value, str):
        raise ValueError("must be a secret reference 'env:NAME' or 'file:PATH'")
    scheme, sep, ref = value.partition(":")
    if sep and scheme == "env" and ref:
        if ref not in os.environ:
            raise ValueError(f"secret reference env:{ref}: environment variable {ref} is not set")
        return os.environ[ref]
    if sep and scheme == "file" and ref:
        path = Path(ref).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"secret reference file:{ref}: {exc.strerror}") from None
    raise ValueError(
        "must be a secret reference 'env:NAME' or 'file:PATH' (literal secrets are not accepted "
        "in configuration)"
    )


class Secret(SecretStr):
    """A credential in settings: given as a reference, ``env:NAME`` (an environment variable) or
    ``file:PATH`` (a file's content, stripped), never as a literal; held as a ``SecretStr``, so it
    prints as ``**********`` and is masked in every log record once connected. Read it with
    ``get_secret_value()`` where the credential is sent, nowhere else.

    Use it as a field type: ``token: Secret``. Errors name the reference, never the value.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # SecretStr's own schema, behind the resolution of the reference.
        return core_schema.no_info_before_validator_function(
            _resolve_secret, super().__get_pydantic_core_schema__(source, handler)
        )
