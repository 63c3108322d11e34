"""The AWS accounts the tests connect, declared once: the region and zones moto serves, the
credentials as environment references (``aws_env`` sets them; their values never appear in a
configuration, so the secret-redaction tests can look for them), and ``AWS``, the plain EC2
account (``AWS.connect(tmp, {"endpoint_url": url})``)."""

from __future__ import annotations

from typing import Any

from support.rig import RigFactory

REGION = "us-east-1"
ZONES = ("us-east-1a", "us-east-1b")
KEY_ENV, SECRET_ENV = "CLOUDRIG_TEST_AWS_KEY_ID", "CLOUDRIG_TEST_AWS_SECRET"
CREDENTIALS: dict[str, Any] = {
    "access_key_id": f"env:{KEY_ENV}",
    "secret_access_key": f"env:{SECRET_ENV}",
}
"""An account's credential settings: references to the variables ``aws_env`` sets."""
ACCOUNT = "aws-test"
AMI_V1, AMI_V2 = "ami-00000001", "ami-00000002"
AWS = RigFactory(provider="aws", account=ACCOUNT, settings={"regions": [REGION], **CREDENTIALS})
