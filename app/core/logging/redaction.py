"""Keep passwords, tokens, Authorization headers, emails, names and personal ids out of logs.

Two layers, both on every line (structlog calls and standard-library records):

* by key: a field whose name says what it holds (``password``, ``access_token``,
  ``Authorization``, ``email``, ``name``, ``resident_id`` ...) is replaced, at any depth of
  nested dicts and lists (``headers={"Authorization": ...}``);
* by value: every other string (the event text included) is scrubbed of what can be
  recognised in free text -- email addresses, JWTs, ``Bearer``/``Basic`` credentials and
  ``password=...``-style pairs.

A person's name inside free text cannot be recognised, so the rest of the design keeps free
text that might hold one out of logs: no request bodies, query strings or raw paths, and no
exception messages (see :mod:`app.core.logging.exceptions`). Objects that are not plain data
are rendered as their type name, never ``str()`` or ``repr()``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from structlog.typing import EventDict

from app.core.logging.rendering import HEAD, plain

REDACTED = "[REDACTED]"
MAX_DEPTH = 6

# Fields the pipeline itself adds: known safe, skipped for speed (``event`` is scrubbed).
TRUSTED_FIELDS = (frozenset(HEAD) - {"event"}) | {"status", "duration_ms", "exception"}

_SECRET_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "cookie",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "signature",
    "jwt",
    "bearer",
    "email",
    "mail",
    "phone",
    "ssn",
    "birth",
    "address",
)
_SECRET_KEYS = frozenset(
    {"pwd", "pass", "auth", "session", "sessionid", "sid", "otp", "pin", "dob", "ip", "name"}
)
# Personal identifiers: user, resident, person, patient ids (the request layer's pseudonym
# is the one way to follow a user).
_PERSON_ID = re.compile(r"^(user|resident|person|patient|member|account|faculty)(id|ids)$")
_NAME_KEY = re.compile(r"(first|last|middle|full|given|family|sur|user|display|person|nick)name$")


def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


_decisions: dict[str, bool] = {}


def is_sensitive_key(key: str) -> bool:
    """True when a field named ``key`` would hold a secret or personal data."""
    decision = _decisions.get(key)
    if decision is None:
        if len(_decisions) > 4096:  # keys come from code, but keep a stray source bounded
            _decisions.clear()
        decision = _decisions[key] = _classify(key)
    return decision


def _classify(key: str) -> bool:
    normal = _normal(key)
    if normal in _SECRET_KEYS or _PERSON_ID.match(normal) or _NAME_KEY.search(normal):
        return True
    if any(part in normal for part in _SECRET_PARTS):
        return True
    # resident_name, patient_name ... but not filename, hostname, logger_name, route_name
    return normal.endswith("name") and normal[:-4] in {"resident", "patient", "member", "faculty"}


MAX_TEXT = 8192  # longer strings are cut: a log line is not a data dump

_KEYWORDS = (
    r"[\w-]{0,40}(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key)"
    r"[\w-]{0,40}|authorization|cookie|pwd|session[_-]?id"
)
# Quantifiers are bounded so that a long word cannot make the scan quadratic.
_SCRUB = re.compile(
    # "password": "x", password=x, Authorization: Bearer x, token='x'
    rf"(?P<pair>(?P<key>[\"']?\b(?:{_KEYWORDS})[\"']?\s{{0,8}}[:=]\s{{0,8}})"
    r"(?:(?:bearer|basic|digest|token)\s+)?(?:\"[^\"]*\"|'[^']*'|[^\s,;&}\"']+))"
    # Bearer abc.def, Basic dXNlcjpwYXNz
    r"|(?P<scheme>\b(?:bearer|basic|digest)\s+)[\w.~+/=-]{8,}"
    # a JWT, or anything that starts like one (base64url of '{"'), case-sensitive
    r"|(?-i:eyJ[\w-]{8,}(?:\.[\w-]*){0,2})"
    # an email address
    r"|(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+",
    re.IGNORECASE,
)


def _replace(match: re.Match[str]) -> str:
    if match.group("pair") is not None:
        return match.group("key") + REDACTED
    if match.group("scheme") is not None:
        return match.group("scheme") + REDACTED
    return REDACTED


def scrub_text(text: str) -> str:
    """Remove emails, JWTs, bearer credentials and secret pairs from free text."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "[TRUNCATED]"
    return _SCRUB.sub(_replace, text) if _may_hold_secret(text.lower()) else text


def _may_hold_secret(lowered: str) -> bool:
    # Plain substring tests: ten times cheaper than the regular expression, and they rule
    # out most strings (an ``or`` chain, because a generator would double the cost).
    return (
        "@" in lowered
        or "eyj" in lowered
        or "pass" in lowered
        or "pwd" in lowered
        or "secret" in lowered
        or "token" in lowered
        or "key" in lowered
        or "auth" in lowered
        or "cookie" in lowered
        or "session" in lowered
        or "bearer" in lowered
        or "basic" in lowered
        or "digest" in lowered
    )


def scrub(value: Any, depth: int = 0) -> Any:
    """Scrub a field value: strings by pattern, containers by key and recursively."""
    if isinstance(value, str):
        return scrub_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return "[TRUNCATED]"
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_sensitive_key(key) else scrub(v, depth + 1)
            for key, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item, depth + 1) for item in value]
    return plain(value)  # datetime -> ISO text; unknown objects -> their type name, never str()


def redact(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if key in TRUSTED_FIELDS:
            continue
        if key != "event" and is_sensitive_key(key):
            event_dict[key] = REDACTED
        elif value is not None and not isinstance(value, bool | int | float):
            event_dict[key] = scrub(value)
    return event_dict
