"""The two entrances to one processor chain: structlog calls and standard-library records.

structlog calls never become ``logging.LogRecord`` objects: :class:`AppBoundLogger` checks the
level, runs the chain and hands the rendered line to :class:`SinkLogger`, which writes it to the
configured sinks. Records
from the standard library (uvicorn, SQLAlchemy, Alembic, our own ``logging.getLogger``) reach
:class:`PipelineHandler` on the root logger, which turns them into the same event dict and runs
the same chain. Both paths refuse to raise into the caller: a failure is counted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from structlog import BoundLoggerBase
from structlog.typing import Processor

from app.core.logging.processors import rfc3339
from app.core.logging.sinks import Outputs, write_errors

PIPELINE_ERRORS = "log pipeline"

# Attributes every LogRecord has; anything else came in through ``extra=``.
_RECORD_KEYS = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", (), None).__dict__,
        "message",
        "asctime",
        "taskName",
        "color_message",  # uvicorn's ANSI-coloured copy of the message
    }
)


class SinkLogger:
    """The "wrapped logger" of structlog's native path: receives the rendered line."""

    __slots__ = ("name", "outputs")

    def __init__(self, name: str | None, outputs: Outputs) -> None:
        self.name = name
        self.outputs = outputs

    def write(self, line: str) -> None:
        self.outputs.write(line)

    debug = info = warning = warn = error = critical = fatal = exception = msg = write
    notset = log = write


class SinkLoggerFactory:
    def __init__(self, outputs: Outputs) -> None:
        self.outputs = outputs

    def __call__(self, *args: Any) -> SinkLogger:
        name = args[0] if args and isinstance(args[0], str) else None
        return SinkLogger(name, self.outputs)


class LevelGate:
    """The minimum level, read by every log method on every call. Mutable, so loggers built
    before a reconfiguration (and cached) follow the new LOG_LEVEL."""

    level = logging.INFO


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    if len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        return event % args[0]
    return event % args


def _method(level: int, name: str) -> Callable[..., Any]:
    def log(self: AppBoundLogger, *args: Any, **kw: Any) -> Any:
        if level < LevelGate.level:
            return None  # a disabled level: nothing formatted, no processor run
        try:
            event = args[0] if args else kw.pop("event", None)
            if len(args) > 1:
                event = _interpolate(event, args[1:])
            return self._proxy_to_logger(name, event, **kw)
        except Exception as exc:  # "%d" % "x", event= twice: count it, never raise
            write_errors.record(PIPELINE_ERRORS, exc)
            return None

    log.__name__ = name
    return log


def _async_method(name: str) -> Callable[..., Any]:
    async def alog(self: AppBoundLogger, event: Any = None, *args: Any, **kw: Any) -> Any:
        # Writing a line takes microseconds; no executor round trip (structlog's default).
        return getattr(self, name)(event, *args, **kw)

    alog.__name__ = f"a{name}"
    return alog


class AppBoundLogger(BoundLoggerBase):
    """structlog's ``FilteringBoundLogger`` interface with the level checked first, against
    :class:`LevelGate`, and calls that cannot raise into the caller."""

    debug = _method(logging.DEBUG, "debug")
    info = msg = _method(logging.INFO, "info")
    warning = warn = _method(logging.WARNING, "warning")
    error = _method(logging.ERROR, "error")
    critical = fatal = _method(logging.CRITICAL, "critical")
    adebug = _async_method("debug")
    ainfo = amsg = _async_method("info")
    awarning = awarn = _async_method("warning")
    aerror = _async_method("error")
    acritical = afatal = _async_method("critical")

    def exception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", True)
        return self.error(event, *args, **kw)

    async def aexception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", sys.exc_info())
        return self.error(event, *args, **kw)

    def log(self, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        name = logging.getLevelName(level).lower()
        method = getattr(self, name, None)
        return method(event, *args, **kw) if callable(method) else None

    async def alog(self, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        return self.log(level, event, *args, **kw)

    def is_enabled_for(self, level: int) -> bool:
        return level >= LevelGate.level

    def get_effective_level(self) -> int:
        return LevelGate.level


class Chain:
    """Runs processors over an event dict built from a LogRecord; the last one renders."""

    __slots__ = ("processors",)

    def __init__(self, processors: Sequence[Processor]) -> None:
        self.processors = tuple(processors)

    def __call__(self, method: str, event_dict: dict[str, Any]) -> str:
        result: Any = event_dict
        for processor in self.processors:
            result = processor(None, method, result)
        return str(result)


class PipelineHandler(logging.Handler):
    """Root-logger handler: standard-library records through the same chain and sinks."""

    def __init__(self, chain: Chain, outputs: Outputs, level: int) -> None:
        super().__init__(level)
        self.chain = chain
        self.outputs = outputs

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: the sinks are thread-safe on their own.
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            method = record.levelname.lower()
            event_dict: dict[str, Any] = {
                "timestamp": rfc3339(record.created),
                "level": method,
                "logger": record.name,
                "event": record.getMessage(),
            }
            for key, value in record.__dict__.items():
                if key not in _RECORD_KEYS:
                    event_dict[key] = value
            if record.exc_info:
                event_dict["exc_info"] = record.exc_info
            self.outputs.write(self.chain(method, event_dict))
        except Exception as exc:
            write_errors.record(PIPELINE_ERRORS, exc)

    def handleError(self, record: logging.LogRecord) -> None:
        write_errors.record(PIPELINE_ERRORS, RuntimeError("log record could not be handled"))
