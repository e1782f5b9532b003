"""A strict local fake of the part of Grafana's HTTP API that dashboard provisioning uses.

Grafana cannot be installed here, so the client is tested against this real HTTP server on
``127.0.0.1`` (a thread; port 0, no free-port race). It behaves as Grafana does where the
client could go wrong, and refuses what Grafana would refuse::

    with fake_grafana(tokens={"glsa_editor": "Editor"}) as grafana:
        await push_dashboards(grafana.url, models, api_key="glsa_editor")
        assert grafana.dashboards["overview"].version == 1

What it checks and keeps:

- ``Authorization``: a known ``Bearer`` token or basic-auth user and password, else 401
  (``{"message": "Unauthorized"}`` / ``"invalid API key"``); each credential has a role, and
  a Viewer writing gets 403 with Grafana's "additional permissions" message.
  ``GET /api/health`` needs no credentials, like Grafana's.
- Folders: ``GET /api/folders/{uid}`` (404 when absent), ``POST /api/folders`` (400 without a
  title, 409 when the uid or the title exists), ``PUT /api/folders/{uid}`` (rename, with the
  version check unless ``overwrite``).
- ``POST /api/dashboards/db``: 400 for a body that is not JSON, a missing ``dashboard``, an
  empty title, a uid longer than 40 characters, or an unknown ``folderUid``; 404 for an
  ``id`` that Grafana does not store under that uid; 412 ``version-mismatch`` when
  ``dashboard.version`` differs from the stored one without ``overwrite``; 412 ``name-exists``
  when another uid in the same folder has the title. Versions start at 1 and increase on each
  save; every save's message is kept.
- ``GET /api/dashboards/uid/{uid}``: ``{"dashboard": ..., "meta": ...}`` or 404.
- ``fail_next(n, status=503, retry_after=...)`` and ``hang_next(n, seconds)`` make the next
  ``n`` requests fail or stall (to test retries); every request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["FakeGrafana", "Request", "StoredDashboard", "fake_grafana"]

Role = Literal["Viewer", "Editor", "Admin"]
GRAFANA_VERSION = "11.3.0"
MAX_UID = 40


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StoredDashboard:
    id: int
    uid: str
    folder_uid: str
    model: dict[str, Any]
    version: int
    messages: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.model["title"])


@dataclass
class StoredFolder:
    id: int
    uid: str
    title: str
    version: int = 1


@dataclass
class _Fault:
    count: int
    status: int = 503
    retry_after: str | None = None
    hang: float = 0.0


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "dashboard"


class _Refusal(Exception):
    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = code
        self.body = {"message": message, **extra}


class FakeGrafana:
    """The server and its state; use :func:`fake_grafana` to start and stop it."""

    def __init__(
        self,
        *,
        tokens: dict[str, Role] | None = None,
        users: dict[tuple[str, str], Role] | None = None,
    ) -> None:
        self.tokens: dict[str, Role] = dict(tokens or {})
        self.users: dict[tuple[str, str], Role] = dict(users or {})
        self.folders: dict[str, StoredFolder] = {}
        self.dashboards: dict[str, StoredDashboard] = {}
        self.requests: list[Request] = []
        self._faults: list[_Fault] = []
        self._next_id = 1
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- test controls -------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 503, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``Retry-After``)."""
        with self._lock:
            self._faults.append(_Fault(count, status=status, retry_after=retry_after))

    def hang_next(self, count: int, seconds: float) -> None:
        """Stall the next ``count`` requests ``seconds`` before answering 503 (a timeout for
        any client with a shorter one)."""
        with self._lock:
            self._faults.append(_Fault(count, status=503, hang=seconds))

    def calls(self, method: str, path_prefix: str) -> list[Request]:
        with self._lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    def add_folder(self, uid: str, title: str) -> StoredFolder:
        with self._lock:
            folder = StoredFolder(self._new_id(), uid, title)
            self.folders[uid] = folder
            return folder

    # --- the server ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            while self._faults and self._faults[0].count <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            self._faults[0].count -= 1
            return self._faults[0]

    def _role(self, authorization: str | None) -> Role:
        if not authorization:
            raise _Refusal(401, "Unauthorized")
        scheme, _, credentials = authorization.partition(" ")
        if scheme == "Bearer":
            role = self.tokens.get(credentials)
            if role is None:
                raise _Refusal(401, "invalid API key")
            return role
        if scheme == "Basic":
            try:
                user, _, password = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                raise _Refusal(401, "Unauthorized") from None
            role = self.users.get((user, password))
            if role is None:
                raise _Refusal(401, "invalid username or password")
            return role
        raise _Refusal(401, "Unauthorized")

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """The API itself: returns the JSON answer or raises :class:`_Refusal`."""
        if method == "GET" and path == "/api/health":
            return {"commit": "fake", "database": "ok", "version": GRAFANA_VERSION}
        if not path.startswith("/api/"):
            raise _Refusal(404, "Not found")
        role = self._role(headers.get("authorization"))
        with self._lock:
            if method == "GET" and (m := re.fullmatch(r"/api/folders/([^/]+)", path)):
                return self._folder_json(self._folder(m[1]))
            if method == "POST" and path == "/api/folders":
                self._require_editor(role, "folders:create")
                return self._create_folder(_json_body(body))
            if method == "PUT" and (m := re.fullmatch(r"/api/folders/([^/]+)", path)):
                self._require_editor(role, "folders:write")
                return self._update_folder(m[1], _json_body(body))
            if method == "GET" and (m := re.fullmatch(r"/api/dashboards/uid/([^/]+)", path)):
                return self._dashboard_json(m[1])
            if method == "POST" and path == "/api/dashboards/db":
                self._require_editor(role, "dashboards:create")
                return self._save_dashboard(_json_body(body))
        raise _Refusal(404, "Not found")

    @staticmethod
    def _require_editor(role: Role, action: str) -> None:
        if role == "Viewer":
            raise _Refusal(
                403,
                "You'll need additional permissions to perform this action. "
                f"Permissions needed: {action}",
                accessErrorId="ACE0000000001",
            )

    def _folder(self, uid: str) -> StoredFolder:
        folder = self.folders.get(uid)
        if folder is None:
            raise _Refusal(404, "folder not found", status="not-found")
        return folder

    @staticmethod
    def _folder_json(folder: StoredFolder) -> dict[str, Any]:
        return {
            "id": folder.id,
            "uid": folder.uid,
            "title": folder.title,
            "url": f"/dashboards/f/{folder.uid}/{slug(folder.title)}",
            "version": folder.version,
        }

    def _create_folder(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _Refusal(400, "bad request data")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _Refusal(400, "folder title cannot be empty")
        uid = body.get("uid") or f"f{self._next_id}"
        if len(uid) > MAX_UID:
            raise _Refusal(400, "uid too long, max 40 characters")
        if uid in self.folders:
            raise _Refusal(409, "a folder with the same uid already exists")
        if any(folder.title == title for folder in self.folders.values()):
            raise _Refusal(
                409, "a folder or dashboard in the general folder with the same name already exists"
            )
        folder = StoredFolder(self._new_id(), uid, title)
        self.folders[uid] = folder
        return self._folder_json(folder)

    def _update_folder(self, uid: str, body: Any) -> dict[str, Any]:
        folder = self._folder(uid)
        if not isinstance(body, dict):
            raise _Refusal(400, "bad request data")
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _Refusal(400, "folder title cannot be empty")
        if not body.get("overwrite") and body.get("version") != folder.version:
            raise _Refusal(
                412, "the folder has been changed by someone else", status="version-mismatch"
            )
        if any(other.title == title and other.uid != uid for other in self.folders.values()):
            raise _Refusal(409, "a folder with the same name already exists")
        folder.title = title
        folder.version += 1
        return self._folder_json(folder)

    def _dashboard_json(self, uid: str) -> dict[str, Any]:
        stored = self.dashboards.get(uid)
        if stored is None:
            raise _Refusal(404, "Dashboard not found")
        folder = self.folders.get(stored.folder_uid)
        return {
            "dashboard": {
                **copy.deepcopy(stored.model),
                "id": stored.id,
                "uid": uid,
                "version": stored.version,
            },
            "meta": {
                "slug": slug(stored.title),
                "url": f"/d/{uid}/{slug(stored.title)}",
                "version": stored.version,
                "folderUid": stored.folder_uid,
                "folderTitle": folder.title if folder else "General",
                "canSave": True,
            },
        }

    def _save_dashboard(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            raise _Refusal(400, "bad request data")
        model: dict[str, Any] = copy.deepcopy(body["dashboard"])
        title = model.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _Refusal(400, "Dashboard title cannot be empty", status="empty-name")
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.folders:
            raise _Refusal(400, "folder not found", status="not-found")
        uid = model.get("uid") or f"d{self._next_id}"
        if not isinstance(uid, str) or len(uid) > MAX_UID:
            raise _Refusal(400, "uid too long, max 40 characters", status="uid-too-long")
        overwrite = bool(body.get("overwrite"))
        stored = self.dashboards.get(uid)
        given_id = model.get("id")
        if given_id is not None and (stored is None or stored.id != given_id):
            raise _Refusal(404, "Dashboard not found", status="not-found")
        if stored is not None and not overwrite and model.get("version") != stored.version:
            raise _Refusal(
                412, "The dashboard has been changed by someone else", status="version-mismatch"
            )
        for other in self.dashboards.values():
            if other.uid != uid and other.folder_uid == folder_uid and other.title == title:
                raise _Refusal(
                    412,
                    "A dashboard with the same name in the folder already exists",
                    status="name-exists",
                )
        for key in ("id", "version"):
            model.pop(key, None)
        model["uid"] = uid
        message = str(body.get("message", ""))
        if stored is None:
            stored = StoredDashboard(self._new_id(), uid, folder_uid, model, 1, [message])
            self.dashboards[uid] = stored
        else:
            stored.model, stored.folder_uid = model, folder_uid
            stored.version += 1
            stored.messages.append(message)
        return {
            "id": stored.id,
            "uid": uid,
            "url": f"/d/{uid}/{slug(title)}",
            "status": "success",
            "version": stored.version,
            "slug": slug(title),
            "folderUid": folder_uid,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                with fake._lock:
                    fake.requests.append(Request(self.command, self.path, headers, body))
                fault = fake._take_fault()
                extra: dict[str, str] = {}
                if fault is not None:
                    if fault.hang:
                        time.sleep(fault.hang)
                    status, answer = fault.status, {"message": "Service Unavailable (fake)"}
                    if fault.retry_after is not None:
                        extra["Retry-After"] = fault.retry_after
                else:
                    try:
                        status, answer = 200, fake.handle(self.command, self.path, headers, body)
                    except _Refusal as refusal:
                        status, answer = refusal.status, refusal.body
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise _Refusal(400, "bad request data") from None


@contextmanager
def fake_grafana(
    *,
    tokens: dict[str, Role] | None = None,
    users: dict[tuple[str, str], Role] | None = None,
) -> Iterator[FakeGrafana]:
    """A started :class:`FakeGrafana`, stopped when the block ends."""
    grafana = FakeGrafana(tokens=tokens, users=users)
    grafana.start()
    try:
        yield grafana
    finally:
        grafana.stop()
