"""A small client for the part of Grafana's HTTP API that provisioning dashboards needs.

``push_dashboards`` makes sure a folder exists (a stable uid, so a second run finds it), then
upserts each dashboard with ``POST /api/dashboards/db`` (``overwrite: true``, a version
message) and returns one :class:`DashboardResult` per dashboard. A dashboard that Grafana
already stores exactly as given (same model, same folder) is left alone, so running the push
twice leaves the same state and the same versions.

Authentication is a service-account token (``Authorization: Bearer``) or a user and password
(basic auth). Every refusal raises a :class:`GrafanaError` subclass naming the cause, with
Grafana's own message; transient failures (connection errors, timeouts, 429, 5xx) are retried
a bounded number of times with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import copy
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx

from app import __version__

__all__ = [
    "DEFAULT_FOLDER_TITLE",
    "FOLDER_UID",
    "DashboardResult",
    "GrafanaBadRequest",
    "GrafanaClient",
    "GrafanaConflict",
    "GrafanaError",
    "GrafanaForbidden",
    "GrafanaNotFound",
    "GrafanaUnauthorized",
    "GrafanaUnavailable",
    "GrafanaUrlError",
    "RetryPolicy",
    "push_dashboards",
]

FOLDER_UID = "residency-scheduler"
DEFAULT_FOLDER_TITLE = "Residency Scheduler"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class GrafanaError(Exception):
    """Grafana refused or could not be reached; ``str()`` names the cause and Grafana's
    message. ``exit_code`` is what the command line exits with (2: fix the input)."""

    exit_code: ClassVar[int] = EXIT_FAILED

    def __init__(
        self, message: str, *, status: int | None = None, grafana_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.grafana_message = grafana_message


class GrafanaUrlError(GrafanaError):
    """The Grafana URL is not an http(s):// URL."""

    exit_code = EXIT_BAD_INPUT


class GrafanaBadRequest(GrafanaError):
    """400: Grafana rejected the request body (a dashboard model it cannot store)."""


class GrafanaUnauthorized(GrafanaError):
    """401: the token (or user and password) is wrong, expired or revoked."""

    exit_code = EXIT_BAD_INPUT


class GrafanaForbidden(GrafanaError):
    """403: the credentials are valid but lack a role: Editor (or Admin) is needed."""


class GrafanaNotFound(GrafanaError):
    """404: the URL is not a Grafana (or the path prefix is wrong), or a folder is missing."""

    exit_code = EXIT_BAD_INPUT


class GrafanaConflict(GrafanaError):
    """409/412: a version conflict, or another dashboard or folder already has the name."""


class GrafanaUnavailable(GrafanaError):
    """Grafana did not answer, or kept failing (timeouts, 429, 5xx) after every retry."""


@dataclass(frozen=True)
class RetryPolicy:
    """Retry transient failures ``attempts - 1`` times, waiting a random time up to
    ``base_delay * 2**n`` seconds (full jitter, at most ``max_delay``); a ``Retry-After``
    header is honoured up to ``max_delay``."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class DashboardResult:
    """What happened to one dashboard: ``status`` is created, updated or unchanged; ``url``
    is absolute; ``version`` is Grafana's version after the push."""

    uid: str
    title: str
    url: str
    version: int
    status: Literal["created", "updated", "unchanged"]


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GrafanaUrlError(f"Grafana URL {url!r}: must be an http:// or https:// URL")
    return url.strip().rstrip("/")


def _grafana_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text.strip()[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to the backoff


def _without_id(model: Mapping[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(dict(model))
    body.pop("id", None)
    return body


def _comparable(model: Mapping[str, Any]) -> dict[str, Any]:
    body = _without_id(model)
    body.pop("version", None)
    return body


class GrafanaClient:
    """Grafana's HTTP API with the credentials, error mapping and retries of this module."""

    def __init__(
        self,
        grafana_url: str,
        *,
        api_key: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if api_key and basic_auth:
            raise ValueError("give api_key (a service-account token) or basic_auth, not both")
        if not api_key and not basic_auth:
            raise ValueError("give api_key (a service-account token) or basic_auth")
        self.url = _base_url(grafana_url)
        self.retry = retry or RetryPolicy()
        headers = {"Accept": "application/json", "User-Agent": f"residency-scheduler/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            auth=httpx.BasicAuth(*basic_auth) if basic_auth else None,
            timeout=timeout,
            transport=transport,
            trust_env=False,
        )

    async def __aenter__(self) -> GrafanaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        allow: tuple[int, ...] = (),
        what: str = "",
    ) -> httpx.Response:
        """Send with retries; return 2xx answers and those in ``allow``; raise the rest."""
        what = what or f"{method} {path}"
        last: str = ""
        for attempt in range(self.retry.attempts):
            retry_after: float | None = None
            try:
                response = await self._client.request(method, path, json=json)
            except httpx.TimeoutException:
                last = "timed out"
            except httpx.TransportError as exc:
                last = f"cannot connect ({exc.__class__.__name__}: {exc})"
            else:
                status = response.status_code
                if status < 300 or status in allow:
                    return response
                if status != 429 and status < 500:
                    raise self._refusal(response, what)
                last = f"HTTP {status}: {_grafana_message(response) or response.reason_phrase}"
                retry_after = _retry_after(response)
            if attempt + 1 < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt, retry_after))
        raise GrafanaUnavailable(
            f"Grafana at {self.url} is unavailable: {what} failed {self.retry.attempts} "
            f"times, last: {last}",
            grafana_message=last,
        )

    def _refusal(self, response: httpx.Response, what: str) -> GrafanaError:
        status = response.status_code
        said = _grafana_message(response)
        quoted = f' (Grafana says: "{said}")' if said else ""
        if status == 401:
            return GrafanaUnauthorized(
                f"401 Unauthorized from {self.url}: the token (GRAFANA_TOKEN) or user and "
                f"password is wrong, expired or revoked{quoted}",
                status=status,
                grafana_message=said,
            )
        if status == 403:
            return GrafanaForbidden(
                f"403 Forbidden from {self.url} for {what}: the credentials are valid but lack "
                f"a role; give the service account the Editor role (or Admin){quoted}",
                status=status,
                grafana_message=said,
            )
        if status == 404:
            return GrafanaNotFound(
                f"404 Not Found from {self.url} for {what}: is this Grafana's base URL (with "
                f"its sub-path, if served under one)?{quoted}",
                status=status,
                grafana_message=said,
            )
        if status in (409, 412):
            return GrafanaConflict(
                f"{status} from {self.url} for {what}: {_conflict_hint(response)}{quoted}",
                status=status,
                grafana_message=said,
            )
        if status == 400:
            return GrafanaBadRequest(
                f"400 Bad Request from {self.url} for {what}: Grafana rejected the body{quoted}",
                status=status,
                grafana_message=said,
            )
        return GrafanaError(
            f"HTTP {status} from {self.url} for {what}{quoted}", status=status, grafana_message=said
        )

    async def check_health(self) -> str:
        """Grafana's version, from ``/api/health``; GrafanaNotFound when the URL is not one."""
        response = await self.request("GET", "/api/health", allow=(404,), what="the health check")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 404 or not isinstance(body, dict) or "database" not in body:
            raise GrafanaNotFound(
                f"{self.url} is not a Grafana: /api/health answered HTTP {response.status_code} "
                "without Grafana's health body; check the URL (and its sub-path, if any)",
                status=response.status_code,
                grafana_message=_grafana_message(response),
            )
        return str(body.get("version", "unknown"))

    async def ensure_folder(self, uid: str, title: str) -> dict[str, Any]:
        """The folder with ``uid``, created (or renamed to ``title``) when needed."""
        path = f"/api/folders/{uid}"
        found = await self.request("GET", path, allow=(404,), what=f"reading folder {uid!r}")
        if found.status_code == 404:
            created = await self.request(
                "POST",
                "/api/folders",
                json={"uid": uid, "title": title},
                allow=(409,),
                what=f"creating folder {title!r}",
            )
            if created.status_code != 409:
                return dict(created.json())
            # Created meanwhile (a retried POST that had succeeded, or a parallel push), or a
            # folder with this title but another uid exists.
            found = await self.request("GET", path, allow=(404,), what=f"reading folder {uid!r}")
            if found.status_code == 404:
                said = _grafana_message(created)
                raise GrafanaConflict(
                    f"409 from {self.url} creating folder {title!r}: another folder already has "
                    f"this title; rename or delete it, or push with another --folder title "
                    f'(Grafana says: "{said}")',
                    status=409,
                    grafana_message=said,
                )
        folder = dict(found.json())
        if folder.get("title") != title:
            renamed = await self.request(
                "PUT",
                path,
                json={"title": title, "version": folder.get("version"), "overwrite": True},
                what=f"renaming folder {uid!r} to {title!r}",
            )
            folder = dict(renamed.json())
        return folder

    async def get_dashboard(self, uid: str) -> dict[str, Any] | None:
        """``{"dashboard": ..., "meta": ...}`` for ``uid``, or None when Grafana has none."""
        response = await self.request(
            "GET", f"/api/dashboards/uid/{uid}", allow=(404,), what=f"reading dashboard {uid!r}"
        )
        return None if response.status_code == 404 else dict(response.json())

    async def upsert_dashboard(
        self, model: Mapping[str, Any], *, folder_uid: str, message: str
    ) -> DashboardResult:
        uid, title = _identity(model)
        stored = await self.get_dashboard(uid)
        if stored is not None:
            meta = stored.get("meta") or {}
            same_folder = meta.get("folderUid", "") == folder_uid
            if same_folder and _comparable(stored.get("dashboard") or {}) == _comparable(model):
                return DashboardResult(
                    uid=uid,
                    title=title,
                    url=self._absolute(str(meta.get("url", f"/d/{uid}"))),
                    version=int((stored.get("dashboard") or {}).get("version", 0)),
                    status="unchanged",
                )
        body = {
            "dashboard": _without_id(model),
            "folderUid": folder_uid,
            "overwrite": True,
            "message": message,
        }
        response = await self.request(
            "POST", "/api/dashboards/db", json=body, what=f"saving dashboard {title!r} ({uid})"
        )
        saved = response.json()
        return DashboardResult(
            uid=str(saved.get("uid", uid)),
            title=title,
            url=self._absolute(str(saved.get("url", f"/d/{uid}"))),
            version=int(saved.get("version", 0)),
            status="created" if stored is None else "updated",
        )

    def _absolute(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        # Grafana's url already carries its sub-path (root_url); keep only scheme and host.
        parts = urlsplit(self.url)
        prefix = parts.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            return f"{parts.scheme}://{parts.netloc}{path}"
        return f"{self.url}{path if path.startswith('/') else '/' + path}"


def _conflict_hint(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = {}
    status = body.get("status") if isinstance(body, dict) else None
    if status == "version-mismatch":
        return (
            "version conflict: the dashboard was changed in Grafana since this version was "
            "read; the push overwrites, so retry it (or export the Grafana copy first)"
        )
    if status == "name-exists":
        return (
            "another dashboard in the folder already has this title (with a different uid); "
            "delete or rename that dashboard in Grafana, or push to another folder"
        )
    if status == "plugin-dashboard":
        return "a plugin owns a dashboard with this uid; remove the plugin dashboard first"
    return "conflict: a dashboard or folder with this name or uid already exists"


def _identity(model: Mapping[str, Any]) -> tuple[str, str]:
    uid, title = model.get("uid"), model.get("title")
    if not isinstance(uid, str) or not uid:
        raise ValueError(f"dashboard {title!r} has no uid: every pushed dashboard needs one")
    if not isinstance(title, str) or not title:
        raise ValueError(f"dashboard {uid!r} has no title")
    return uid, title


async def push_dashboards(
    grafana_url: str,
    dashboards: Sequence[Mapping[str, Any]],
    *,
    api_key: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    folder_title: str = DEFAULT_FOLDER_TITLE,
    folder_uid: str = FOLDER_UID,
    message: str | None = None,
    request_timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[DashboardResult]:
    """Create or find the folder, upsert every dashboard into it; one result per dashboard.
    ``request_timeout`` bounds each HTTP request (seconds), before it is retried."""
    for model in dashboards:
        _identity(model)  # refuse a model without uid or title before touching Grafana
    async with GrafanaClient(
        grafana_url,
        api_key=api_key,
        basic_auth=basic_auth,
        timeout=request_timeout,
        retry=retry,
        transport=transport,
    ) as client:
        await client.check_health()
        await client.ensure_folder(folder_uid, folder_title)
        note = message or f"residency-scheduler {__version__}"
        return [
            await client.upsert_dashboard(model, folder_uid=folder_uid, message=note)
            for model in dashboards
        ]
