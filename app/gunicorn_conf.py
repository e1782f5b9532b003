"""gunicorn settings for ``residency-scheduler serve --workers N`` (N > 1).

``serve`` runs ``python -m gunicorn --config python:app.gunicorn_conf ... 'app.main:create_app()'``
with ``PROMETHEUS_MULTIPROC_DIR`` already in the environment, so prometheus_client is in
multiprocess mode before anything imports it. Here:

- ``on_starting`` (master, before any worker): create the directory and delete the previous
  run's files in it, which would otherwise be added to this run's counts;
- ``child_exit``: ``mark_process_dead`` drops a dead worker's live gauges (in-flight requests,
  pool connections); its counters stay, so totals never go backwards;
- ``on_starting`` also imports ``app.main`` (without building the app) so workers fork warm;
- ``logger_class``: gunicorn's own lines (master and workers: "Starting gunicorn", "Booting
  worker", "Worker exiting") go through the app's JSON pipeline like every other line. Its
  ``setup`` runs when the arbiter is built, before the first line, so not even "Starting
  gunicorn" is plain text (``on_starting`` runs after it);
- ``on_exit``: remove the directory when ``serve`` created it;
- workers are uvicorn's, without uvicorn's access log (the app writes its own access line), and
  gunicorn's access log and control socket stay off;
- no forwarded header is trusted by gunicorn or uvicorn (``proxy_headers`` off,
  ``forwarded_allow_ips`` empty): the app applies TRUSTED_PROXIES itself.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, NoReturn

from gunicorn.glogging import Logger as GunicornLogger  # type: ignore[import-untyped]
from prometheus_client import multiprocess

from app.core import environment
from app.core.config import load_settings

with warnings.catch_warnings():
    # uvicorn.workers is deprecated in favour of the uvicorn-worker package, which is not a
    # dependency here; the class is unchanged and maintained in uvicorn for now.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker


class Worker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012  (uvicorn's own class attribute)
        "loop": "auto",
        "http": "auto",
        "access_log": False,
        "proxy_headers": False,  # the app trusts TRUSTED_PROXIES itself (create_app)
        "lifespan": "on",
    }


class JsonLogger(GunicornLogger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's logger with its handlers replaced by the app's JSON pipeline
    (``configure_logging`` routes ``gunicorn.error`` to the root handler, and LOG_FILE)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # also on SIGHUP reloads; the re-routing below follows it
        from app.core.config import SettingsError, load_settings
        from app.core.logging import configure_logging

        try:
            configure_logging(load_settings())
        except SettingsError as exc:  # ``serve`` checked them; gunicorn run by hand may not
            sys.stderr.write(f"error: {exc}\n")
            raise SystemExit(2) from None


worker_class = "app.gunicorn_conf.Worker"
logger_class = "app.gunicorn_conf.JsonLogger"
accesslog = None
# Neither gunicorn nor its uvicorn workers believe X-Forwarded-* on their own (gunicorn's default
# is 127.0.0.1,::1, or FORWARDED_ALLOW_IPS): the app does, from TRUSTED_PROXIES only.
forwarded_allow_ips = ""
# gunicorn (27 here) opens a control socket at one fixed path ($HOME/.gunicorn/gunicorn.ctl), which
# two services on one host would fight over; nothing here uses gunicornc.
control_socket_disable = True
graceful_timeout = 20


def clean_multiprocess_directory(path: str) -> None:
    """Create ``path`` and delete the ``*.db`` files of an earlier run (only those: it may be a
    directory the operator chose)."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def _multiprocess_directory() -> str | None:
    return load_settings().prometheus_multiproc_dir  # ``serve`` checked the settings


def on_starting(server: Any) -> None:
    environment.hand_down(**{environment.SERVICE_PID: str(os.getpid())})  # the whole service
    path = _multiprocess_directory()
    if path:
        clean_multiprocess_directory(path)
    # Import (not create) the app once here: forked workers share the loaded modules and boot
    # in a fraction of the time. The app itself is still built in each worker.
    importlib.import_module("app.main")


def child_exit(server: Any, worker: Any) -> None:
    path = _multiprocess_directory()
    if path:
        multiprocess.mark_process_dead(worker.pid, path)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    path = _multiprocess_directory()
    if path and environment.owns_multiprocess_dir():
        shutil.rmtree(path, ignore_errors=True)


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:app.gunicorn_conf",
        "--bind", bind,
        "--workers", str(workers),
        "app.main:create_app()",
    ]  # fmt: skip


def exec_gunicorn(host: str, port: int, workers: int) -> NoReturn:
    """Replace this process with the gunicorn master, multiprocess mode switched on first (a
    fresh interpreter: prometheus_client chooses its mode when it is imported)."""
    own: dict[str, str] = {}
    if not load_settings().prometheus_multiproc_dir:
        own[environment.MULTIPROC_DIR] = tempfile.mkdtemp(prefix="residency-metrics-")
        own[environment.OWNED_DIR] = "1"
    env = environment.child_environment(**own)
    argv = gunicorn_argv(host, port, workers)
    os.execve(argv[0], argv, env)
