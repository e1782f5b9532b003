"""Access tokens built by hand, as an attacker would, to test what the app refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

SECRET = "s3cret-for-tests-0123456789abcdef-XYZ"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], claims: dict[str, Any], key: bytes = SECRET.encode()) -> str:
    """A token built without PyJWT, as an attacker would (HMAC-SHA256 over whatever header)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
