"""Real servers for tests: PostgreSQL, Redis, Prometheus, Alertmanager and Pushgateway.

Every helper is a context manager that starts one real server (Debian's binaries; see
``scripts/install-test-deps.sh``) on ``127.0.0.1`` on a free port, keeps its data and log
in a private temporary directory, waits until the server answers (by polling, never by
sleeping a fixed time) and, on exit -- also when the test body raised -- stops it
(``SIGTERM``, then ``SIGKILL`` after a timeout) and removes the directory.

A missing binary raises :class:`ComponentUnavailable`; ``tests/support/fixtures.py``
turns that into a skip locally and a failure under ``CI=true``.  A server that is
installed but does not come up raises :class:`ServerStartError` carrying the tail of its
log.  A free port is chosen by binding to port 0; if the server then dies during startup
or somebody else turned out to own the port, the start is retried once on a new port.

PostgreSQL refuses to run as root, so when the tests run as root ``initdb``/``pg_ctl``
run through ``runuser -u postgres --`` in a directory owned by ``postgres``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, get_args

import httpx
import psutil

__all__ = [
    "LOOPBACK",
    "PROMETHEUS_PORT_PLACEHOLDER",
    "AlertmanagerServer",
    "Component",
    "ComponentUnavailable",
    "PostgresServer",
    "PrometheusQueryError",
    "PrometheusServer",
    "PushgatewayServer",
    "RedisServer",
    "ServerStartError",
    "alertmanager_server",
    "check_available",
    "free_port",
    "postgres_server",
    "prometheus_server",
    "pushgateway_server",
    "redis_server",
]

LOOPBACK = "127.0.0.1"
#: Replaced by the chosen port in the ``config_yaml`` given to :func:`prometheus_server`,
#: so a config can make Prometheus scrape itself.
PROMETHEUS_PORT_PLACEHOLDER = "__PROMETHEUS_PORT__"

Component = Literal["postgres", "redis", "prometheus", "alertmanager", "pushgateway"]
COMPONENTS: tuple[Component, ...] = get_args(Component)

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.05
LOG_TAIL_LINES = 40

_BINARY_NAMES: dict[Component, tuple[str, ...]] = {
    "redis": ("redis-server",),
    "prometheus": ("prometheus",),
    "alertmanager": ("prometheus-alertmanager", "alertmanager"),
    "pushgateway": ("prometheus-pushgateway", "pushgateway"),
}
_DEBIAN_PACKAGES: dict[str, str] = {
    "postgres": "postgresql-15",
    "redis": "redis-server",
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "pushgateway": "prometheus-pushgateway",
}
_DEFAULT_PG_BIN_DIR = Path("/usr/lib/postgresql/15/bin")
_PG_TOOLS = ("initdb", "pg_ctl", "createdb", "dropdb")
_PG_SUPERUSER = "postgres"
_PG_OS_USER = "postgres"
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class ComponentUnavailable(RuntimeError):
    """The binary (or OS user) a real server needs is missing on this machine."""

    def __init__(self, component: str, reason: str) -> None:
        package = _DEBIAN_PACKAGES.get(component, component)
        super().__init__(
            f"{component} is unavailable: {reason} "
            f"(install with scripts/install-test-deps.sh or `apt-get install {package}`)"
        )
        self.component = component
        self.reason = reason


class ServerStartError(RuntimeError):
    """The server is installed but did not start; the message ends with its log tail."""


class PrometheusQueryError(RuntimeError):
    """Prometheus rejected a query (bad PromQL, execution error)."""


# --------------------------------------------------------------------------- utilities


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, then release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "<log is empty>"


def _with_log(message: str, log_path: Path) -> str:
    return f"{message}\n--- last lines of {log_path} ---\n{_log_tail(log_path)}"


def _child_env() -> dict[str, str]:
    """Environment for server processes: no PG* variables that could redirect them."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _is_root() -> bool:
    return os.geteuid() == 0


def _which_any(names: Sequence[str]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _find_binary(component: Component) -> str:
    names = _BINARY_NAMES[component]
    found = _which_any(names)
    if found is None:
        raise ComponentUnavailable(component, f"none of {', '.join(names)} found on PATH")
    return found


def _pg_bin_dir() -> Path:
    return Path(os.environ.get("POSTGRES_BIN_DIR") or _DEFAULT_PG_BIN_DIR)


def _runuser() -> str | None:
    return _which_any(["runuser"]) or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
    )


def _check_postgres() -> None:
    bin_dir = _pg_bin_dir()
    for tool in _PG_TOOLS:
        if not os.access(bin_dir / tool, os.X_OK):
            raise ComponentUnavailable(
                "postgres", f"{bin_dir / tool} not found (set POSTGRES_BIN_DIR to override)"
            )
    if _is_root():
        try:
            pwd.getpwnam(_PG_OS_USER)
        except KeyError:
            raise ComponentUnavailable(
                "postgres", f"running as root but there is no {_PG_OS_USER!r} OS user"
            ) from None
        if _runuser() is None:
            raise ComponentUnavailable("postgres", "running as root but runuser is missing")


def check_available(component: Component) -> None:
    """Raise :class:`ComponentUnavailable` unless ``component`` can be started here."""
    if component == "postgres":
        _check_postgres()
    elif component in _BINARY_NAMES:
        _find_binary(component)
    else:
        raise ValueError(f"unknown component {component!r}; expected one of {COMPONENTS}")


class _Stoppable(Protocol):
    def _emergency_stop(self) -> None: ...


_LIVE: set[_Stoppable] = set()


@atexit.register
def _stop_leftovers() -> None:
    """Backstop for servers whose context manager never exited (e.g. interpreter abort)."""
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server._emergency_stop()


def _kill_process_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group, wait, then SIGKILL; never raises for a dead process."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    # Kill stragglers of the group (and the leader if SIGTERM was ignored).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)


def _listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` (or a child of it) has a listening TCP socket on ``port``."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return False
    for proc in procs:
        try:
            getter = getattr(proc, "net_connections", None) or proc.connections
            conns = getter(kind="tcp")
        except psutil.Error:
            continue
        for conn in conns:
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return True
    return False


class _RetryableStart(Exception):
    """Startup failed in a way a fresh port may fix (early exit, port owned by another)."""


# --------------------------------------------------------------------- process servers


class _ProcessServer:
    """A server run in the foreground as a child process in its own session."""

    component: Component

    def __init__(self, workdir: Path, *, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        self.workdir = workdir
        self.log_path = workdir / f"{self.component}.log"
        self.startup_timeout = startup_timeout
        self._binary = _find_binary(self.component)
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- subclass hooks
    def _argv(self, port: int) -> list[str]:
        raise NotImplementedError

    def _probe(self, port: int) -> bool:
        """One readiness check; True once the server on ``port`` serves requests."""
        raise NotImplementedError

    def _prepare(self, port: int) -> None:
        """Write config files that depend on the port (called before every launch)."""

    # -- public API
    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{self.component} has not been started")
        return self._port

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _log_tail(self.log_path, lines)

    def start(self) -> None:
        """Start the server (first time: on a fresh free port; later: on the same port)."""
        if self.running:
            return
        if self._port is not None:
            try:
                self._launch(self._port)
            except _RetryableStart as exc:
                raise ServerStartError(str(exc)) from None
            return
        failure = ""
        for _attempt in range(2):
            port = free_port()
            try:
                self._launch(port)
            except _RetryableStart as exc:
                failure = str(exc)
                continue
            self._port = port
            return
        raise ServerStartError(f"{failure}\n(gave up after retrying on a second free port)")

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); keeps its directory."""
        proc, self._proc = self._proc, None
        _LIVE.discard(self)
        if proc is not None:
            _kill_process_group(proc, timeout)

    def _emergency_stop(self) -> None:
        self.stop(timeout=2.0)

    # -- internals
    def _launch(self, port: int) -> None:
        self._prepare(port)
        argv = self._argv(port)
        with self.log_path.open("ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} start: {shlex.join(argv)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=_child_env(),
                start_new_session=True,
            )
        self._proc = proc
        _LIVE.add(self)
        try:
            self._wait_ready(proc, port)
        except BaseException:
            self.stop(timeout=2.0)
            raise

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = proc.poll()
            if code is not None:
                raise _RetryableStart(
                    _with_log(
                        f"{self.component} exited with code {code} while starting on "
                        f"{LOOPBACK}:{port}",
                        self.log_path,
                    )
                )
            # A probe answered by someone else's server on "our" port does not count:
            # ours will fail to bind, exit, and be retried on another port.
            if self._probe(port) and _listens_on(proc.pid, port):
                return
            if time.monotonic() > deadline:
                raise ServerStartError(
                    _with_log(
                        f"{self.component} did not become ready on {LOOPBACK}:{port} "
                        f"within {self.startup_timeout:.0f}s",
                        self.log_path,
                    )
                )
            time.sleep(POLL_INTERVAL)


class RedisServer(_ProcessServer):
    """``redis-server`` in the foreground, no persistence."""

    component: Component = "redis"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    def _argv(self, port: int) -> list[str]:
        return [
            self._binary,
            "--port", str(port),
            "--bind", LOOPBACK,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.workdir),
            "--logfile", "",
        ]  # fmt: skip

    def _probe(self, port: int) -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


class _HttpServer(_ProcessServer):
    """A Prometheus-family server with a ``/-/ready`` endpoint."""

    def __init__(
        self,
        workdir: Path,
        *,
        extra_args: Sequence[str] = (),
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, startup_timeout=startup_timeout)
        self.extra_args = list(extra_args)
        # trust_env=False: an HTTP(S)_PROXY in the environment must not capture loopback.
        self.http = httpx.Client(timeout=5.0, trust_env=False)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{LOOPBACK}:{self.port}"

    def _probe(self, port: int) -> bool:
        try:
            response = self.http.get(f"http://{LOOPBACK}:{port}/-/ready", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def close(self) -> None:
        self.stop()
        self.http.close()


class PrometheusServer(_HttpServer):
    """``prometheus`` with ``--web.enable-lifecycle``; config and rules in its workdir."""

    component: Component = "prometheus"

    def __init__(
        self,
        workdir: Path,
        config_yaml: str,
        rule_files: Mapping[str, str] | None = None,
        *,
        extra_args: Sequence[str] = (),
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, extra_args=extra_args, startup_timeout=startup_timeout)
        self.config_template = config_yaml
        self.rule_files = dict(rule_files or {})
        self.config_path = workdir / "prometheus.yml"
        self.storage_path = workdir / "data"

    def _prepare(self, port: int) -> None:
        config = self.config_template.replace(PROMETHEUS_PORT_PLACEHOLDER, str(port))
        for name, content in self.rule_files.items():
            target = (self.workdir / name).resolve()
            if Path(name).is_absolute() or self.workdir.resolve() not in target.parents:
                raise ValueError(f"rule file name must be relative and inside workdir: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        if self.rule_files and not re.search(r"(?m)^rule_files\s*:", config):
            listed = "".join(f"  - {name!r}\n" for name in self.rule_files)
            config = config.rstrip("\n") + "\nrule_files:\n" + listed
        self.config_path.write_text(config)

    def _argv(self, port: int) -> list[str]:
        return [
            self._binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.storage_path}",
            f"--web.listen-address={LOOPBACK}:{port}",
            "--web.enable-lifecycle",
            *self.extra_args,
        ]

    def query(self, promql: str) -> list[Any]:
        """Instant query; returns ``data.result`` (a list of ``{metric, value}`` vectors)."""
        response = self.http.get(f"{self.url}/api/v1/query", params={"query": promql})
        try:
            body = response.json()
        except ValueError:
            response.raise_for_status()
            raise PrometheusQueryError(
                f"non-JSON answer to {promql!r}: {response.text!r}"
            ) from None
        if body.get("status") != "success":
            raise PrometheusQueryError(
                f"query {promql!r} failed ({response.status_code}): "
                f"{body.get('errorType')}: {body.get('error')}"
            )
        result: list[Any] = body["data"]["result"]
        return result

    def wait_for(self, promql: str, timeout: float = 30.0, interval: float = 0.2) -> list[Any]:
        """Poll ``promql`` until its result is non-empty; return that result.

        Raises :class:`PrometheusQueryError` at once for a rejected query and
        :class:`TimeoutError` (with target health and the log tail) on timeout.
        """
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            try:
                result = self.query(promql)
            except httpx.HTTPError as exc:  # e.g. during a reload; keep polling
                last = exc
            else:
                if result:
                    return result
                last = result
            if time.monotonic() > deadline:
                raise TimeoutError(
                    _with_log(
                        f"{promql!r} still empty after {timeout:.1f}s (last: {last!r}); "
                        f"targets: {self._targets_summary()}",
                        self.log_path,
                    )
                )
            time.sleep(interval)

    def reload(self) -> None:
        """Re-render config/rule files and ask Prometheus to reload them."""
        self._prepare(self.port)
        self.http.post(f"{self.url}/-/reload").raise_for_status()

    def _targets_summary(self) -> str:
        try:
            active = self.http.get(f"{self.url}/api/v1/targets").json()["data"]["activeTargets"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return f"<unavailable: {exc!r}>"
        return repr([(t.get("scrapeUrl"), t.get("health"), t.get("lastError")) for t in active])


class AlertmanagerServer(_HttpServer):
    """``prometheus-alertmanager`` with clustering disabled."""

    component: Component = "alertmanager"

    def __init__(
        self,
        workdir: Path,
        config_yaml: str,
        *,
        extra_args: Sequence[str] = (),
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, extra_args=extra_args, startup_timeout=startup_timeout)
        self.config_path = workdir / "alertmanager.yml"
        self.storage_path = workdir / "data"
        self.config_path.write_text(config_yaml)

    def _argv(self, port: int) -> list[str]:
        return [
            self._binary,
            f"--config.file={self.config_path}",
            f"--storage.path={self.storage_path}",
            f"--web.listen-address={LOOPBACK}:{port}",
            "--cluster.listen-address=",
            *self.extra_args,
        ]

    def alerts(self) -> list[dict[str, Any]]:
        """Current alerts from ``GET /api/v2/alerts``."""
        response = self.http.get(f"{self.url}/api/v2/alerts")
        response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()
        return alerts


class PushgatewayServer(_HttpServer):
    """``prometheus-pushgateway``; ``stop()``/``start()`` keep the port (and directory).

    Without ``persistence=True`` pushed metrics are lost on ``stop()``, like a real
    gateway restart; with it they are written to ``workdir/persistence`` on shutdown.
    """

    component: Component = "pushgateway"

    def __init__(
        self,
        workdir: Path,
        *,
        persistence: bool = False,
        extra_args: Sequence[str] = (),
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        super().__init__(workdir, extra_args=extra_args, startup_timeout=startup_timeout)
        self.persistence_file = workdir / "persistence" if persistence else None

    def _argv(self, port: int) -> list[str]:
        # Always pass --persistence.file: Debian's build defaults it to the shared
        # /var/lib/prometheus/pushgateway.data, which would leak metrics between tests.
        persistence = "" if self.persistence_file is None else str(self.persistence_file)
        return [
            self._binary,
            f"--web.listen-address={LOOPBACK}:{port}",
            f"--persistence.file={persistence}",
            *self.extra_args,
        ]


# ----------------------------------------------------------------------- PostgreSQL


class PostgresServer:
    """A throw-away PostgreSQL cluster (``--auth=trust``, superuser ``postgres``)."""

    def __init__(self, workdir: Path, database: str, *, startup_timeout: float) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.log_path = workdir / "postgres.log"
        self.database = database
        self.startup_timeout = startup_timeout
        self.bin_dir = _pg_bin_dir()
        self.user = _PG_SUPERUSER
        self._port: int | None = None
        self._running = False

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("postgres has not been started")
        return self._port

    @property
    def running(self) -> bool:
        return self._running

    def dsn(self, driver: str | None = "asyncpg", database: str | None = None) -> str:
        """``postgresql+asyncpg://postgres@127.0.0.1:PORT/DB``; ``driver=None`` gives
        plain ``postgresql://`` (for ``asyncpg.connect`` or libpq tools)."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{self.user}@{LOOPBACK}:{self.port}/{database or self.database}"

    def create_database(self, name: str, driver: str | None = "asyncpg") -> str:
        """Create database ``name`` (letters, digits, ``_``) and return its DSN."""
        self._check_name(name)
        self._client("createdb", name)
        return self.dsn(driver=driver, database=name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating its connections."""
        self._check_name(name)
        self._client("dropdb", "--if-exists", "--force", name)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _log_tail(self.log_path, lines)

    # -- lifecycle (used by postgres_server)
    def _as_pg_user(self, argv: list[str]) -> list[str]:
        if _is_root():
            runuser = _runuser()
            assert runuser is not None  # checked by _check_postgres
            return [runuser, "-u", _PG_OS_USER, "--", *argv]
        return argv

    def _run(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._as_pg_user(argv),
            cwd=self.workdir,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _initdb(self) -> None:
        result = self._run(
            [
                str(self.bin_dir / "initdb"),
                f"--pgdata={self.data_dir}",
                f"--username={_PG_SUPERUSER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            timeout=120,
        )
        if result.returncode != 0:
            raise ServerStartError(
                f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _pg_ctl_start(self, port: int) -> str | None:
        """Start on ``port``; None on success, else a description of the failure."""
        options = " ".join(
            [
                f"-p {port}",
                f"-k {shlex.quote(str(self.workdir))}",
                f"-c listen_addresses={LOOPBACK}",
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c synchronous_commit=off",
            ]
        )
        # The log is written by the postgres user: do not create it from here (as root).
        result = self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                f"--pgdata={self.data_dir}",
                f"--log={self.log_path}",
                "--wait",
                f"--timeout={int(self.startup_timeout)}",
                f"--options={options}",
                "start",
            ],
            timeout=self.startup_timeout + 10,
        )
        if result.returncode != 0:
            self._force_stop()
            output = (result.stdout + result.stderr).strip()
            return f"pg_ctl start on port {port} failed ({result.returncode}): {output}"
        if not self._wait_tcp(port):
            return f"port {port}: pg_ctl reported ready but TCP is not served by our postmaster"
        return None

    def _wait_tcp(self, port: int) -> bool:
        """pg_ctl -w polled the Unix socket; also poll until TCP answers (and is ours)."""
        pid = self._postmaster_pid()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((LOOPBACK, port), timeout=1.0):
                    pass
            except OSError:
                time.sleep(POLL_INTERVAL)
                continue
            if pid is not None and _listens_on(pid, port):
                return True
            break
        self._force_stop()
        return False

    def _start(self) -> None:
        self._initdb()
        _LIVE.add(self)
        failures: list[str] = []
        for _attempt in range(2):
            port = free_port()
            failure = self._pg_ctl_start(port)
            if failure is None:
                self._port = port
                self._running = True
                break
            failures.append(failure)
        else:
            raise ServerStartError(
                _with_log(
                    "postgres failed to start (retried once on a second free port):\n"
                    + "\n".join(failures),
                    self.log_path,
                )
            )
        self._client("createdb", self.database)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self.data_dir.exists() and self._postmaster_pid() is not None:
            try:
                result = self._run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        f"--pgdata={self.data_dir}",
                        "--mode=fast",
                        "--wait",
                        f"--timeout={int(timeout)}",
                        "stop",
                    ],
                    timeout=timeout + 5,
                )
                ok = result.returncode == 0
            except subprocess.TimeoutExpired:
                ok = False
            if not ok:
                self._force_stop()
        self._running = False
        _LIVE.discard(self)

    def _emergency_stop(self) -> None:
        self._force_stop()
        self._running = False
        _LIVE.discard(self)

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first.strip())
        except (OSError, ValueError):
            return None

    def _force_stop(self) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)  # postmaster children exit when it dies
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).wait(timeout=5)
        # stray backends notice the dead postmaster and quit on their own
        with contextlib.suppress(OSError):
            (self.data_dir / "postmaster.pid").unlink()

    def _client(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [
                str(self.bin_dir / tool),
                f"--host={LOOPBACK}",
                f"--port={self.port}",
                f"--username={_PG_SUPERUSER}",
                "--no-password",
                *args,
            ],
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{tool} {shlex.join(args)} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )

    @staticmethod
    def _check_name(name: str) -> None:
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"invalid database name {name!r} (use [A-Za-z_][A-Za-z0-9_]*)")


# ------------------------------------------------------------------ context managers


def _make_workdir(component: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"rs-test-{component}-"))


def _chown_to_pg_user(path: Path) -> None:
    entry = pwd.getpwnam(_PG_OS_USER)
    os.chown(path, entry.pw_uid, entry.pw_gid)


@contextlib.contextmanager
def postgres_server(
    database: str = "scheduler_test", *, startup_timeout: float = STARTUP_TIMEOUT
) -> Iterator[PostgresServer]:
    """A fresh PostgreSQL 15 cluster with database ``database`` already created.

    Use ``server.dsn()`` for SQLAlchemy+asyncpg, ``server.dsn(driver=None)`` for
    ``asyncpg.connect`` and ``server.create_database(name)`` for per-test databases.
    """
    check_available("postgres")
    PostgresServer._check_name(database)
    workdir = _make_workdir("postgres")
    try:
        if _is_root():
            _chown_to_pg_user(workdir)
            probe = subprocess.run(
                [_runuser() or "runuser", "-u", _PG_OS_USER, "--", "test", "-w", str(workdir)],
                capture_output=True,
                check=False,
            )
            if probe.returncode != 0:
                raise ServerStartError(
                    f"the {_PG_OS_USER!r} user cannot write {workdir}; "
                    "point TMPDIR at a directory it can reach (e.g. /tmp)"
                )
        server = PostgresServer(workdir, database, startup_timeout=startup_timeout)
        try:
            server._start()
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


_S = TypeVar("_S", bound="_ProcessServer")


@contextlib.contextmanager
def _serve(component: Component, factory: Callable[[Path], _S]) -> Iterator[_S]:
    check_available(component)
    workdir = _make_workdir(component)
    try:
        server = factory(workdir)
        try:
            server.start()
            yield server
        finally:
            if isinstance(server, _HttpServer):
                server.close()
            else:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def redis_server(*, startup_timeout: float = STARTUP_TIMEOUT) -> Iterator[RedisServer]:
    """A fresh ``redis-server`` without persistence; ``server.url`` is ``redis://...``."""
    with _serve("redis", lambda d: RedisServer(d, startup_timeout=startup_timeout)) as server:
        yield server


@contextlib.contextmanager
def prometheus_server(
    config_yaml: str,
    rule_files: Mapping[str, str] | None = None,
    *,
    extra_args: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[PrometheusServer]:
    """Prometheus with ``config_yaml`` (``__PROMETHEUS_PORT__`` replaced by its port).

    ``rule_files`` maps relative file names to contents; they are written next to the
    config (Prometheus resolves relative paths against it) and, when the config has no
    ``rule_files:`` key, listed there automatically.  The first scrape lands about 5 s
    after start (service discovery batches updates): use ``wait_for``, never sleep.
    """

    def make(workdir: Path) -> PrometheusServer:
        return PrometheusServer(
            workdir, config_yaml, rule_files, extra_args=extra_args, startup_timeout=startup_timeout
        )

    with _serve("prometheus", make) as server:
        yield server


@contextlib.contextmanager
def alertmanager_server(
    config_yaml: str,
    *,
    extra_args: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[AlertmanagerServer]:
    """Alertmanager with ``config_yaml`` and ``--cluster.listen-address=`` (no peers)."""

    def make(workdir: Path) -> AlertmanagerServer:
        return AlertmanagerServer(
            workdir, config_yaml, extra_args=extra_args, startup_timeout=startup_timeout
        )

    with _serve("alertmanager", make) as server:
        yield server


@contextlib.contextmanager
def pushgateway_server(
    *,
    persistence: bool = False,
    extra_args: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[PushgatewayServer]:
    """A Pushgateway; ``server.stop()`` then ``server.start()`` restarts it on the same port."""

    def make(workdir: Path) -> PushgatewayServer:
        return PushgatewayServer(
            workdir, persistence=persistence, extra_args=extra_args, startup_timeout=startup_timeout
        )

    with _serve("pushgateway", make) as server:
        yield server
