"""Canary secrets and personal data: values that must never reach a log line or a span.

Tests send them through every path a secret or a person could take, then search everything
that left the process for any of :data:`CANARIES`.
"""

from __future__ import annotations

import jwt

CANARY_PASSWORD = "CanaryPw-7f3a9c1e"
CANARY_TOKEN = "canaryopaque5d1e0b7a44"
CANARY_JWT = jwt.encode({"sub": "canary-subject-51"}, "canary-signing-key-" * 2, "HS256")
CANARY_EMAIL = "zelda.canary@example.org"
CANARY_NAME = "Zebulon Canaryfield"
CANARIES = (
    CANARY_PASSWORD,
    CANARY_TOKEN,
    CANARY_JWT,
    *CANARY_JWT.split("."),  # no part of the token either
    CANARY_EMAIL,
    "zelda.canary",
    CANARY_NAME,
    "Zebulon",
    "Canaryfield",
)
SECRET_HEADERS = {
    "Authorization": f"Bearer {CANARY_JWT}",
    "Cookie": f"session={CANARY_TOKEN}",
    "X-Api-Key": CANARY_TOKEN,
}
