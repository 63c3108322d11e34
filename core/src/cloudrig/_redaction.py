"""Secrets never reach a log record: the configured secret values and credential-bearing fields and
headers are masked in every logger's records, the SDKs' own included.

Why here and not in each provider: at DEBUG, botocore logs request headers (``Authorization``,
``X-Amz-Security-Token``) and API parameters (an AssumeRole ``ExternalId``), urllib3 and
google-auth log theirs; none of them is cloudrig's code. A log record factory is the one place
every record of every logger passes, whatever handlers an application installs, so ``connect()``
installs ``redact_logs`` once and registers the secret values of every configured account.
Records are built only for enabled levels, so the cost is nil unless logging is on.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, SecretStr

MASK = "***"

# Names whose value is a credential wherever it appears: a header, a JSON/dict field, a query
# parameter. Matched case-insensitively and ignoring '-'/'_' spelling differences.
_CREDENTIAL_NAMES = (
    r"authorization|proxy[-_]?authorization|x[-_]amz[-_]security[-_]token|x[-_]amz[-_]signature"
    r"|x[-_]goog[-_]api[-_]key|cookie|set[-_]cookie|external[-_]?id|secret[-_]?access[-_]?key"
    r"|(?:aws[-_])?session[-_]?token|security[-_]?token|password|passwd|client[-_]?secret"
    r"|refresh[-_]?token|access[-_]?token|id[-_]?token|api[-_]?key|private[-_]?key"
)
# <Name>value</Name> (XML answers: STS credentials)
_XML = re.compile(rf"(<({_CREDENTIAL_NAMES})>)(.*?)(</\2>)", re.IGNORECASE | re.DOTALL)
# scheme://user:password@host (a Redis or proxy URL)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s/]+)(@)")
# 'Name': 'value' / "Name": b"value" / Name='value' (dict reprs, JSON, kwargs reprs)
_QUOTED = re.compile(
    rf"""((?:{_CREDENTIAL_NAMES})['"]?\s*[:=]\s*b?)(['"])(.*?)(?<!\\)\2""", re.IGNORECASE
)
# Name: value / Name=value (header lines, query strings): up to the end of the field
_BARE = re.compile(
    rf"""((?:{_CREDENTIAL_NAMES})\s*[:=]\s*)(?!['"\s]|\*\*\*)([^\r\n&,;'"}}]+)""", re.IGNORECASE
)


class Redactor:
    """The secret values to mask, and the masking itself."""

    def __init__(self) -> None:
        self._values: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        """Mask these values from now on (values shorter than 4 characters are ignored: they would
        mask ordinary text and protect nothing)."""
        with self._lock:
            self._values = self._values | {v for v in values if len(v) >= 4}

    def redact(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        text = _XML.sub(lambda m: f"{m.group(1)}{MASK}{m.group(4)}", text)
        text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
        text = _QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}{m.group(2)}", text)
        return _BARE.sub(lambda m: f"{m.group(1)}{MASK}", text)


REDACTOR = Redactor()
_installed: Callable[..., logging.LogRecord] | None = None
_install_lock = threading.Lock()


def secret_values(model: Any) -> list[str]:
    """Every ``SecretStr`` value in a settings model (nested models, lists and dicts included)."""
    found: list[str] = []
    if isinstance(model, SecretStr):
        found.append(model.get_secret_value())
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            found.extend(secret_values(getattr(model, name)))
    elif isinstance(model, dict):
        for item in model.values():
            found.extend(secret_values(item))
    elif isinstance(model, (list, tuple, set, frozenset)):
        for item in model:
            found.extend(secret_values(item))
    return found


def redact_logs(secrets: Iterable[str] = ()) -> None:
    """Mask ``secrets`` and credential fields in every log record from now on (idempotent)."""
    global _installed
    REDACTOR.add(secrets)
    with _install_lock:
        if _installed is not None:
            return
        make = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            _redact_record(record)
            return record

        _installed = factory
        logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a record whose args do not fit its format: mask what there is
        message = f"{record.msg} {record.args}"
    record.msg, record.args = REDACTOR.redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters reuse ``exc_text`` when set: format the traceback once, masked.
        record.exc_text = REDACTOR.redact(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = REDACTOR.redact(record.stack_info)
