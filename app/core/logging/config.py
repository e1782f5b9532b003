"""configure_logging(settings): one JSON (or console) pipeline for structlog and stdlib loggers.

Called by ``create_app()``. Idempotent: the same
settings a second time change nothing; different settings (tests) replace the previous
configuration, reusing the open log file when the path is unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import structlog
from structlog.contextvars import merge_contextvars
from structlog.typing import FilteringBoundLogger, Processor

from app import __version__
from app.core.config import Settings, SettingsError
from app.core.logging.exceptions import exception_as_text, structure_exception
from app.core.logging.libraries import FOLD_EXPORTER_NOISE, route_library_loggers
from app.core.logging.pipeline import (
    AppBoundLogger,
    Chain,
    LevelGate,
    PipelineHandler,
    SinkLogger,
    SinkLoggerFactory,
)
from app.core.logging.processors import (
    RequestContext,
    ServiceFields,
    add_level,
    add_logger_name,
    add_timestamp,
    add_trace_context,
)
from app.core.logging.redaction import redact
from app.core.logging.rendering import console_renderer, render_json
from app.core.logging.rotation import RotatingFileSink
from app.core.logging.sinks import Sink, StreamSink, outputs

MEGABYTE = 1024 * 1024

_PROCESS_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class LoggingPlan:
    """What the settings decide, compared to tell a repeat call from a change."""

    level: int
    format: str
    log_file: str | None
    max_bytes: int
    backup_count: int
    service: str
    environment: str
    version: str
    pseudonym_key: bytes = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoggingPlan:
        return cls(
            level=logging.getLevelNamesMapping()[settings.effective_log_level],
            format=settings.log_format,
            log_file=str(Path(settings.log_file).expanduser()) if settings.log_file else None,
            max_bytes=settings.log_max_file_size * MEGABYTE,
            backup_count=settings.log_backup_count,
            service=settings.service_name,
            environment=settings.environment,
            version=__version__,
            pseudonym_key=_pseudonym_key(settings),
        )


def _pseudonym_key(settings: Settings) -> bytes:
    # Stable across replicas when JWT_SECRET is set (derived, so the signing key itself is
    # never used twice); otherwise per process, which still follows a user within a worker.
    secret = getattr(settings, "jwt_secret", None)
    if secret is None:
        return _PROCESS_KEY
    value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)
    return hmac.new(value.encode(), b"residency-scheduler log pseudonyms", hashlib.sha256).digest()


@dataclass
class _Active:
    plan: LoggingPlan
    handler: PipelineHandler
    file_sink: RotatingFileSink | None


_lock = threading.Lock()
_active: _Active | None = None
# structlog's processor list, changed in place: loggers already built (and cached) keep a
# reference to this very list, so a reconfiguration reaches them too.
STRUCTLOG_CHAIN: list[Processor] = []


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    """A structlog logger: ``get_logger(__name__).info("schedule generated", blocks=13)``.

    Cheap to keep at module level: the level, the chain and the sinks are looked up per call,
    so it follows every (re)configuration. Before any, lines go to stderr as JSON.
    """
    logger = AppBoundLogger(SinkLogger(name, outputs), STRUCTLOG_CHAIN, {})
    return cast(FilteringBoundLogger, logger)


def _use_structlog_chain(processors: list[Processor]) -> None:
    STRUCTLOG_CHAIN[:] = processors
    structlog.configure(  # for code that calls structlog.get_logger() directly
        processors=STRUCTLOG_CHAIN,
        wrapper_class=AppBoundLogger,
        logger_factory=SinkLoggerFactory(outputs),
        context_class=dict,
        cache_logger_on_first_use=True,
    )


def is_configured() -> bool:
    return _active is not None


def configure_logging(settings: Settings) -> None:
    """Send every log line of the process through one pipeline to stdout and LOG_FILE.

    Raises :class:`~app.core.config.SettingsError` naming LOG_FILE when the file cannot be
    created or opened for writing.
    """
    global _active
    plan = LoggingPlan.from_settings(settings)
    with _lock:
        previous = _active
        if previous is not None and previous.plan == plan:
            # Nothing to rebuild, but a server may have re-added its handlers since.
            root = logging.getLogger()
            if previous.handler not in root.handlers:
                root.addHandler(previous.handler)
            route_library_loggers(plan.level)
            return
        reuse = previous.file_sink if previous is not None else None
        file_sink = _file_sink(plan, reuse)
        sinks: tuple[Sink, ...] = (StreamSink(1, "stdout"),)
        if file_sink is not None:
            sinks = (*sinks, file_sink)
        shared, render = _processors(plan)
        _use_structlog_chain([add_logger_name, add_level, add_timestamp, *shared, *render])
        LevelGate.level = plan.level
        handler = PipelineHandler(Chain([*shared, *render]), outputs, plan.level)
        handler.addFilter(FOLD_EXPORTER_NOISE)
        _install_root_handler(handler, previous.handler if previous else None, plan.level)
        outputs.configure(sinks)
        if previous is not None and previous.file_sink not in (None, file_sink):
            previous.file_sink.close()
        _active = _Active(plan, handler, file_sink)


def _file_sink(plan: LoggingPlan, reuse: RotatingFileSink | None) -> RotatingFileSink | None:
    if plan.log_file is None:
        return None
    path = os.path.abspath(plan.log_file)
    if reuse is not None and reuse.path == path:
        reuse.max_bytes, reuse.backup_count = plan.max_bytes, plan.backup_count
        return reuse
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return RotatingFileSink(path, plan.max_bytes, plan.backup_count)
    except OSError as exc:
        raise SettingsError(
            f"LOG_FILE: cannot write {plan.log_file} ({exc.strerror or exc}); choose a writable "
            "path, or unset LOG_FILE to log to standard output only"
        ) from None


def _processors(plan: LoggingPlan) -> tuple[list[Processor], list[Processor]]:
    shared: list[Processor] = [
        merge_contextvars,
        RequestContext(plan.pseudonym_key),
        add_trace_context,
        ServiceFields(plan.service, plan.environment, plan.version),
        structure_exception,
        redact,  # last before rendering: sees every field any processor added
    ]
    if plan.format == "console":
        return shared, [exception_as_text, console_renderer(colors=os.isatty(1))]
    return shared, [render_json]


def _install_root_handler(
    handler: PipelineHandler, previous: PipelineHandler | None, level: int
) -> None:
    root = logging.getLogger()
    if previous is not None:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    route_library_loggers(level)


def _default_chain() -> list[Processor]:
    """Until configure_logging runs (a script, a CLI command): JSON lines, redacted like every
    other line (to standard error: see ``sinks.outputs``)."""
    plan = LoggingPlan(
        level=logging.INFO,
        format="json",
        log_file=None,
        max_bytes=0,
        backup_count=0,
        service="residency-scheduler",
        environment="unconfigured",
        version=__version__,
        pseudonym_key=_PROCESS_KEY,
    )
    shared, render = _processors(plan)
    return [add_logger_name, add_level, add_timestamp, *shared, *render]


STRUCTLOG_CHAIN[:] = _default_chain()  # a value, not a configuration: nothing else is touched
