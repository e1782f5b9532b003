"""Security and activity facts the auth, rate-limit and audit code publishes (metrics subscribe).

Every field is an enumerated value: never a user id, resident id, name, token or IP address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FailureReason = Literal[
    "bad_password",
    "unknown_user",
    "locked",
    "inactive",
    "expired_token",
    "invalid_token",
    "wrong_algorithm",
    "refresh_reuse",
    "missing_token",
]
RateLimitScope = Literal["login", "api"]
SuspiciousKind = Literal[
    "brute_force", "refresh_token_reuse", "cross_resident_access", "export_volume"
]
ResourceType = Literal[
    "person",
    "schedule",
    "shift",
    "leave",
    "export",
    "compliance_report",
    "audit_log",
    "user",
    "swap",
]
AccessAction = Literal["read", "list", "export", "create", "update", "delete"]
UserActionKind = Literal[
    "login",
    "logout",
    "refresh",
    "schedule_edit",
    "schedule_import",
    "schedule_export",
    "schedule_generate",
    "person_edit",
    "swap_request",
    "swap_respond",
    "swap_decide",
    "user_admin",
]


@dataclass(frozen=True)
class AuthenticationFailed:
    reason: FailureReason


@dataclass(frozen=True)
class AccessDenied:
    """An authenticated caller lacked the role or ownership for what they asked (403)."""

    resource_type: ResourceType


@dataclass(frozen=True)
class RateLimitExceeded:
    scope: RateLimitScope


@dataclass(frozen=True)
class SuspiciousActivity:
    kind: SuspiciousKind


@dataclass(frozen=True)
class DataAccessed:
    resource_type: ResourceType
    action: AccessAction


@dataclass(frozen=True)
class UserAction:
    action: UserActionKind
