"""Domain errors and the HTTP answers they map to: never a 500 for a caller's mistake."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFoundError(DomainError):
    status_code = 404


class ConflictError(DomainError):
    status_code = 409


class InvalidInputError(DomainError):
    status_code = 422


class ForbiddenError(DomainError):
    status_code = 403


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status_code)


async def _integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    # A unique or foreign-key constraint caught what the service checks missed (e.g. a race).
    return JSONResponse(
        {"detail": "the change conflicts with existing data (duplicate or still referenced)"},
        status_code=409,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
