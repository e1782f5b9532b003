"""Span attributes that are safe to export: no personal data, only OpenTelemetry-valid values.

Policy (docs/tracing.md, "Personal data"):

* A key that names a person is dropped: any key with a word like ``user``, ``resident``,
  ``person``, ``patient``, ``actor`` (``user_id``, ``resident``, ``personId``...) unless it is a
  count (``resident_count``, ``users_total``). Ids are dropped, not hashed: a hash of a small
  integer id is reversed by hashing every candidate, so it is still personal data.
* A key about identity or secrets is dropped: ``name``, ``email``, ``password``, ``token``,
  ``secret``, ``api_key``, ``cookie``, ``authorization``, ``phone``, ``address``, ``ssn``,
  ``birth_date``, ``mrn``, ``ip``...
* A string value that looks like an email address, a JWT or a bearer credential is dropped,
  whatever its key.
* Values become what OpenTelemetry accepts: str, bool, int, float or a homogeneous list of
  them; enums give their value, dates ISO text, Decimal a float, durations seconds. None and
  anything else (objects, dicts, bytes) are dropped: their ``str()`` could carry anything.

Each dropped key is logged once per process (a warning), never with its value.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from opentelemetry.util.types import AttributeValue

logger = logging.getLogger(__name__)

PERSON_WORDS = frozenset(
    {
        "user", "users", "username", "resident", "residents", "person", "persons", "people",
        "patient", "patients", "actor", "member", "members", "faculty", "employee", "staff",
        "physician", "attending", "owner", "requester", "approver", "assignee", "author",
        "doctor", "nurse", "coordinator", "fellow", "intern", "student", "supervisor",
        "recipient", "sender", "customer", "account",
    }
)  # fmt: skip
COUNT_WORDS = frozenset({"count", "counts", "total", "num", "number", "size"})
IDENTITY_WORDS = frozenset(
    {"name", "names", "address", "dob", "mrn", "ip", "ssn", "phone", "mobile", "login"}
)
SECRET_FRAGMENTS = (
    "password", "passwd", "secret", "token", "apikey", "mail", "cookie",
    "authorization", "credential", "firstname", "lastname", "fullname", "surname", "birth",
    "signature", "privatekey", "session",
)  # fmt: skip
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.")
_MAX_WARNED = 256
_warned: set[str] = set()


@lru_cache(maxsize=1024)
def is_personal_key(key: str) -> bool:
    """True when an attribute key names a person, an identity detail or a secret."""
    words = [w.lower() for w in _WORD.findall(key)]
    compact = "".join(words)
    if any(fragment in compact for fragment in SECRET_FRAGMENTS):
        return True
    if any(w in IDENTITY_WORDS for w in words):
        return True
    return any(w in PERSON_WORDS for w in words) and not (words and words[-1] in COUNT_WORDS)


def looks_secret(value: str) -> bool:
    """An email address, a JWT or a bearer credential inside a string value."""
    if "@" in value and _EMAIL.search(value):
        return True
    return ("eyJ" in value and _JWT.search(value) is not None) or "bearer " in value.lower()


def _warn_once(key: str, why: str) -> None:
    if key not in _warned and len(_warned) < _MAX_WARNED:
        _warned.add(key)
        logger.warning("span attribute %r dropped: %s", key, why)


def coerce(value: object) -> AttributeValue | None:
    """The OpenTelemetry-valid form of ``value``, or None when it has none."""
    if isinstance(value, str | bool | float):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, enum.Enum):
        return coerce(value.value) if isinstance(value.value, str | int | float) else value.name
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [coerce(item) for item in value]
        scalars = [item for item in items if isinstance(item, str | bool | int | float)]
        if len(scalars) != len(items):
            return None
        kinds = {type(item) for item in scalars}
        if len(kinds) > 1:
            return [str(item) for item in scalars]
        return scalars
    return None


def safe_attributes(attributes: Mapping[str, object]) -> dict[str, AttributeValue]:
    """The attributes that may be exported, coerced; personal data and invalid values dropped."""
    safe: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        if is_personal_key(key):
            _warn_once(key, "personal data (see docs/tracing.md)")
            continue
        coerced = coerce(value)
        if coerced is None:
            if value is not None:
                _warn_once(key, f"a {type(value).__name__} is not a span attribute value")
            continue
        if isinstance(coerced, str) and looks_secret(coerced):
            _warn_once(key, "its value looks like an email address or a credential")
            continue
        if isinstance(coerced, list) and any(
            isinstance(item, str) and looks_secret(item) for item in coerced
        ):
            _warn_once(key, "a value looks like an email address or a credential")
            continue
        safe[key] = coerced
    return safe
