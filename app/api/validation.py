"""Input no database can store, and 422 bodies that are safe to send.

``refuse_unstorable_text`` runs first on every route: a NUL character (PostgreSQL refuses it
in text) or an unpaired UTF-16 surrogate (not encodable as UTF-8 at all) in a query or path
parameter, or anywhere in a JSON body (keys too), is a 422 naming where it is, before the
value reaches a validator, the database or a log line.

``validation_error`` renders every 422: it never echoes a secret (a password, a token), cuts
long inputs short, and replaces what UTF-8 cannot encode, so rendering the answer never fails.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.responses import JSONResponse

from app.api.body_limit import BodyLimitMiddleware
from app.api.json_bodies import OFFLOAD_BYTES, in_thread
from app.core.config import Settings

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNENCODABLE = re.compile("[\ud800-\udfff]")
SECRET_NAME = re.compile(r"password|passphrase|secret|token|api_?key|authorization", re.I)
MAX_ECHO_CHARS = 80  # of an echoed string (an input, a name in loc)
MAX_ECHO_ITEMS = 10  # of an echoed list or object
MAX_ECHO_DEPTH = 2
REDACTED = "[redacted]"
UNSTORABLE_MESSAGE = "text must not contain NUL characters or unpaired UTF-16 surrogates"


# --- refusing what cannot be stored --------------------------------------------------------


def _unstorable_path(document: Any) -> tuple[str | int, ...] | None:
    """Where in a parsed JSON document the first unstorable string (value or key) is."""
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while pending:
        loc, value = pending.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                return loc
        elif isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    return (*loc, _safe_text(key))
                pending.append(((*loc, key), item))
        elif isinstance(value, list):
            pending.extend(((*loc, index), item) for index, item in enumerate(value))
    return None


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type")
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _unstorable(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"type": "string_unstorable", "loc": loc, "msg": UNSTORABLE_MESSAGE}


async def refuse_unstorable_text(request: Request) -> None:
    """An app-wide dependency: 422 for a NUL or an unpaired surrogate in the request."""
    params = [("path", name, value) for name, value in request.path_params.items()]
    params += [("query", name, value) for name, value in request.query_params.multi_items()]
    errors = [
        _unstorable((source, _safe_text(name)))
        for source, name, value in params
        if UNSTORABLE.search(name) or (isinstance(value, str) and UNSTORABLE.search(value))
    ]
    if not errors and _is_json(request) and (body := await request.body()):
        try:
            document = await request.json()  # parsed once: FastAPI's own parse is cached
        except (ValueError, RecursionError):
            document = None  # a route without a body ignores it; one with a body said 422
        if len(body) < OFFLOAD_BYTES:
            where = _unstorable_path(document)
        else:  # a whole schedule file: seconds of walking, not on the event loop
            where = await in_thread(_unstorable_path, document)
        if where is not None:
            errors.append(_unstorable(("body", *where)))
    if errors:
        raise RequestValidationError(errors)


# --- rendering a 422 -----------------------------------------------------------------------


def _safe_text(value: str) -> str:
    value = _UNENCODABLE.sub("\ufffd", value)
    return value if len(value) <= MAX_ECHO_CHARS else value[:MAX_ECHO_CHARS] + "…"


def _is_secret(name: object) -> bool:
    return isinstance(name, str) and SECRET_NAME.search(name) is not None


def _echo(value: Any, depth: int = 0) -> Any:
    """``value`` fit to echo: short, without secrets, encodable."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**MAX_ECHO_CHARS else _safe_text(str(value))
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, bytes | bytearray):
        return _safe_text(bytes(value[: MAX_ECHO_CHARS * 4]).decode("utf-8", "replace"))
    if depth >= MAX_ECHO_DEPTH and isinstance(value, Mapping | Sequence):
        return "…"
    if isinstance(value, Mapping):
        return {
            _safe_text(str(key)): REDACTED if _is_secret(key) else _echo(item, depth + 1)
            for key, item in list(value.items())[:MAX_ECHO_ITEMS]
        }
    if isinstance(value, Sequence):
        return [_echo(item, depth + 1) for item in value[:MAX_ECHO_ITEMS]]
    return _safe_text(str(value))


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNENCODABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    return value


def safe_error(error: Mapping[str, Any]) -> dict[str, Any]:
    loc = tuple(error.get("loc", ()))
    safe: dict[str, Any] = {
        key: value for key, value in error.items() if key not in ("input", "loc", "ctx")
    }
    safe["loc"] = [_safe_text(part) if isinstance(part, str) else part for part in loc]
    if "input" in error:
        # A field named like a secret is never echoed; a whole object (e.g. the body of a
        # "missing" error) is echoed with its secret keys redacted, and a whole body that is
        # no object at all (a password sent alone, a list) not at all.
        value = error["input"]
        whole_body = len(loc) == 1 and not isinstance(value, Mapping)
        safe["input"] = REDACTED if whole_body or any(map(_is_secret, loc)) else _echo(value)
    if "ctx" in error:
        safe["ctx"] = _echo(jsonable_encoder(error["ctx"]))
    return _encodable(jsonable_encoder(safe))  # type: ignore[no-any-return]


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    content = {"detail": [safe_error(error) for error in exc.errors()]}
    return JSONResponse(content, status_code=422)


def install_input_guards(app: FastAPI, settings: Settings) -> None:
    """Before the routers are included: request bodies capped (413) before anything parses
    them, unstorable text refused (422) first on every route, and every 422 rendered safely."""
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_large_body_bytes=settings.max_import_bytes,
    )
    app.router.dependencies.insert(0, Depends(refuse_unstorable_text))
    app.add_exception_handler(RequestValidationError, validation_error)
