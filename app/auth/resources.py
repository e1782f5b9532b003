"""Which kind of resource a request is about, for AccessDenied events and denial audits."""

from __future__ import annotations

from fastapi import Request

from app.api import API_PREFIX
from app.auth.events import ResourceType

_PREFIXES: tuple[tuple[str, ResourceType], ...] = (
    ("/people", "person"),
    ("/shifts", "shift"),
    ("/leave", "leave"),
    ("/schedule/export", "export"),
    ("/compliance", "compliance_report"),
    ("/audit", "audit_log"),
    ("/users", "user"),
    ("/swaps", "swap"),
)


def resource_type_of(request: Request) -> ResourceType:
    """From the request path below ``/api/v1`` (the value is an enum; the path goes nowhere)."""
    path: str = request.scope.get("path", "")
    start = path.find(API_PREFIX + "/")
    relative = path[start + len(API_PREFIX) :] if start >= 0 else path
    for prefix, resource in _PREFIXES:
        if relative.startswith(prefix):
            return resource
    return "schedule"  # rotations, academic years, generation, import
