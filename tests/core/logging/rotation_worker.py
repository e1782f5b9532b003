"""One of several processes writing through the configured pipeline into one rotating
LOG_FILE (run by test_rotation.py): ``python -m tests.core.logging.rotation_worker FILE ID N``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from app.core.config import Settings
from app.core.logging import configure_logging, get_logger

PADDING = "p" * 80  # longer lines: more rotations for the same count


def main(log_file: str, worker: int, count: int, go: str) -> None:
    settings = Settings(
        environment="test",  # INFO, like production
        log_file=log_file,
        log_max_file_size=1,  # MB: the smallest LOG_MAX_FILE_SIZE accepts
        log_backup_count=1000,  # keep everything, so the test can count every line
    )
    configure_logging(settings)
    log = get_logger("tests.rotation")
    while not Path(go).exists():  # start together, to maximise contention
        time.sleep(0.005)
    for seq in range(count):
        log.info("line", worker=worker, seq=seq, pid=os.getpid(), padding=PADDING)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
