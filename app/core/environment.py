"""The process environment, for what the service hands down to the processes it starts.

``Settings`` (``app.core.config``) parses every variable a user sets. This module is the only
other place that touches ``os.environ``: ``serve`` writes what its workers (or the reloader)
must share, and two internal variables carry facts from the gunicorn master to its workers.
"""

from __future__ import annotations

import os

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's own variable: it must be set before the library is imported, so the
master hands it to gunicorn in the environment (``Settings`` reads it in every process)."""
SERVICE_PID = "RESIDENCY_SERVICE_PID"
"""Internal: the gunicorn master's pid, so each worker reports the whole service's processes."""
OWNED_DIR = "RESIDENCY_MULTIPROC_DIR_OWNED"
"""Internal: set when ``serve`` made the multiprocess directory itself (removed at exit)."""


def hand_down(**values: str) -> None:
    """Set variables for this process and every process it starts from now on."""
    os.environ.update(values)


def default(name: str, value: str) -> None:
    """Set ``name`` for libraries that read it, unless the operator already chose a value."""
    os.environ.setdefault(name, value)


def child_environment(**values: str) -> dict[str, str]:
    """This process's environment with ``values`` added: for a process started with exec."""
    return {**os.environ, **values}


def service_pid() -> int:
    """The pid of the process that started the service (the gunicorn master, or this one)."""
    return int(os.environ.get(SERVICE_PID) or os.getpid())


def owns_multiprocess_dir() -> bool:
    return os.environ.get(OWNED_DIR) == "1"
