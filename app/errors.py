"""What a caller did wrong, in the domain's words; ``app.api.errors`` maps each to its HTTP
status, the command line to exit code 2."""

from __future__ import annotations

from typing import Any


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
