"""Disabled levels cost nearly nothing: nothing is formatted, no processor runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

from app.core.config import Settings
from app.core.logging import config as logging_config
from app.core.logging import configure_logging, get_logger
from app.core.logging.testing import capture_logs


class Spy:
    """A processor that counts its calls, and an argument that counts being formatted."""

    def __init__(self) -> None:
        self.calls = 0
        self.formatted = 0

    def __call__(self, _logger: Any, _method: str, event_dict: Any) -> Any:
        self.calls += 1
        return event_dict

    def __str__(self) -> str:
        self.formatted += 1
        return "spy"

    __repr__ = __format__ = lambda self, *_: self.__str__()


@pytest.fixture
def spy(make_settings: Callable[..., Settings]) -> Iterator[Spy]:
    configure_logging(make_settings(log_level="INFO", log_file=None))
    spy = Spy()
    processors = structlog.get_config()["processors"]
    processors.insert(0, spy)  # structlog path
    active = logging_config._active
    assert active is not None
    chain = active.handler.chain
    original = chain.processors
    chain.processors = (spy, *original)  # standard-library path
    yield spy
    processors.remove(spy)
    chain.processors = original


def test_disabled_levels_run_no_processor_and_format_nothing(spy: Spy) -> None:
    log = get_logger("tests.levels")
    stdlib = logging.getLogger("tests.levels")
    with capture_logs() as lines:
        log.debug("debug %s", spy)
        log.debug("debug", value=spy)
        stdlib.debug("debug %s", spy)
        stdlib.debug("debug %s", spy, extra={"value": spy})
    assert (spy.calls, spy.formatted, len(lines)) == (0, 0, 0)

    with capture_logs() as lines:
        log.info("info %s", spy)
        stdlib.info("info %s", spy)
    assert spy.calls == 2 and spy.formatted >= 2 and len(lines) == 2


def test_the_level_follows_log_level_and_environment(
    make_settings: Callable[..., Settings],
) -> None:
    configure_logging(make_settings(environment="development", log_level=None))
    with capture_logs() as lines:
        get_logger("tests.levels").debug("visible in development")
    assert len(lines) == 1
    configure_logging(make_settings(log_level="WARNING"))
    with capture_logs() as lines:
        get_logger("tests.levels").info("hidden")
        logging.getLogger("tests.levels").info("hidden")
        logging.getLogger("tests.levels").warning("shown")
    assert [line["event"] for line in lines] == ["shown"]


def test_a_broken_log_call_never_raises(make_settings: Callable[..., Settings]) -> None:
    from app.core.logging.pipeline import PIPELINE_ERRORS
    from app.core.logging.sinks import write_errors

    configure_logging(make_settings())
    before = write_errors.counts.get(PIPELINE_ERRORS, 0)
    get_logger("tests.levels").info("%d blocks", "not a number")
    get_logger("tests.levels").info("fine", event="twice")  # a clash structlog rejects
    # our root handler directly: pytest's own capture handler would re-raise
    active = logging_config._active
    assert active is not None
    record = logging.LogRecord("tests", logging.INFO, __file__, 1, "%d blocks", ("x",), None)
    active.handler.handle(record)
    assert write_errors.counts[PIPELINE_ERRORS] == before + 3
