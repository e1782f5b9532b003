"""The HTTP side of pushing to a Pushgateway: the URL, batches of families, which errors are
worth a retry, and the lock that lets only one worker process push."""

from __future__ import annotations

import fcntl
import urllib.error
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from prometheus_client.metrics_core import Metric


def gateway_url(url: str) -> str:
    """``url`` with ``http://`` when it has no scheme (``localhost:9091``, as in the guide)."""
    text = url.strip()
    candidate = text if "://" in text else f"http://{text}"
    try:
        parsed = urlparse(candidate)
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname)
        _ = parsed.port  # raises for a port that is not a number in range
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"push_gateway_url: {url!r} is not HOST:PORT or an http(s):// URL")
    return candidate.rstrip("/")


class Batch:
    """A slice of already collected families, as a collector ``pushadd_to_gateway`` renders."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def batches(families: Sequence[Metric], size: int) -> list[Batch]:
    return [Batch(families[i : i + size]) for i in range(0, len(families), size)]


def is_permanent(exc: BaseException) -> bool:
    """A 4xx answer (bad or inconsistent metrics) will not succeed on retry; 429 may."""
    return isinstance(exc, urllib.error.HTTPError) and 400 <= exc.code < 500 and exc.code != 429


class LeaderLock:
    """With several workers only one pushes: whoever holds an exclusive lock on a file in
    the multiprocess directory (released by the OS if that worker dies)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing drops the flock
            self._file = None
