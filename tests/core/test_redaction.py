"""What the log redaction masks: configured secret values, and credentials by the name they travel
under (headers, dict/JSON fields, query parameters, XML answers, URL passwords), nothing else."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, SecretStr

from cloudrig._redaction import MASK, Redactor, redact_logs, secret_values


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.add(["s3cr3t-value", "abc"])  # 'abc' is too short to mask
    return r


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("value s3cr3t-value here", f"value {MASK} here"),
        (
            "{'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=ab'}",
            f"{{'Authorization': b'{MASK}'}}",
        ),
        ("{'X-Amz-Security-Token': 'FQoG'}", f"{{'X-Amz-Security-Token': '{MASK}'}}"),
        ('{"ExternalId": "ext-1"}', f'{{"ExternalId": "{MASK}"}}'),
        ("Authorization: Bearer ya29.token", f"Authorization: {MASK}"),
        ("GET /?X-Amz-Security-Token=tok&Action=x", f"GET /?X-Amz-Security-Token={MASK}&Action=x"),
        (
            "<SessionToken>tok</SessionToken><SecretAccessKey>k</SecretAccessKey>",
            f"<SessionToken>{MASK}</SessionToken><SecretAccessKey>{MASK}</SecretAccessKey>",
        ),
        ("redis://:pw@limits:6379/0", f"redis://:{MASK}@limits:6379/0"),
        ("client_secret='x1'", f"client_secret='{MASK}'"),
        ("abc and 12 tokens in total", "abc and 12 tokens in total"),
    ],
)
def test_masks_credentials_and_nothing_else(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


class Nested(BaseModel):
    token: SecretStr
    plain: str = "visible"


class Settings(BaseModel):
    key: SecretStr
    nested: Nested
    many: list[SecretStr] = []


def test_secret_values_are_found_anywhere_in_settings() -> None:
    settings = Settings(key="k-1", nested=Nested(token="t-2"), many=["m-3"])  # type: ignore[arg-type]
    assert sorted(secret_values(settings)) == ["k-1", "m-3", "t-2"]


def test_every_logger_is_masked_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    redact_logs(["installed-secret-42"])
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("urllib3.connectionpool").debug("sent %s", "installed-secret-42")
        try:
            raise ValueError("installed-secret-42")
        except ValueError:
            logging.getLogger("google.auth").exception("refresh failed")
    assert "installed-secret-42" not in caplog.text
    assert f"sent {MASK}" in caplog.text
