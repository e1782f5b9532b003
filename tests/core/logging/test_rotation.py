"""Rotation that loses nothing: several processes, one LOG_FILE, many rotations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from app.core.logging.rotation import RotatingFileSink
from app.core.logging.sinks import write_errors

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 4
LINES_PER_WORKER = 25_000


def log_files(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name))


def read_all(path: Path) -> list[str]:
    return [line for f in log_files(path) for line in f.read_text().splitlines()]


def test_four_processes_rotating_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "app.log"
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.core.logging.rotation_worker",
                str(log_file),
                str(worker),
                str(LINES_PER_WORKER),
                str(go),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,  # every line also goes to stdout; not under test
            stderr=subprocess.PIPE,
        )
        for worker in range(WORKERS)
    ]
    go.touch()
    for process in workers:
        _, stderr = process.communicate(timeout=240)
        assert process.returncode == 0, stderr.decode()

    files = log_files(log_file)
    assert len(files) > 20, "expected the file to rotate many times"
    assert max(f.stat().st_size for f in files) <= 1024 * 1024
    seen: Counter[tuple[int, int]] = Counter()
    for line in read_all(log_file):
        record = json.loads(line)  # every line is one valid JSON object
        assert isinstance(record, dict) and record["event"] == "line"
        seen[(record["worker"], record["seq"])] += 1
    assert len(seen) == WORKERS * LINES_PER_WORKER
    assert set(seen.values()) == {1}, "some lines were written more than once"
    # backups are numbered without gaps: .1 is the newest
    backups = sorted(int(f.name.rsplit(".", 1)[1]) for f in files if f.name != "app.log")
    assert backups == list(range(1, len(backups) + 1))


def test_threads_and_small_files(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=4096, backup_count=10_000)

    def write(worker: int) -> None:
        for seq in range(500):
            sink.write(json.dumps({"worker": worker, "seq": seq}))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    lines = [json.loads(line) for line in read_all(path)]
    assert sorted((r["worker"], r["seq"]) for r in lines) == [
        (w, s) for w in range(4) for s in range(500)
    ]
    assert len(log_files(path)) > 10
    assert all(f.stat().st_size <= 4096 for f in log_files(path))


def test_backup_count_limits_the_files_kept(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=100, backup_count=2)
    for n in range(30):
        sink.write(f"line {n:02d} " + "x" * 40)
    sink.close()
    assert [f.name for f in log_files(path)] == ["app.log", "app.log.1", "app.log.2"]
    newest_first = [path, Path(f"{path}.1"), Path(f"{path}.2")]
    order = [line for f in reversed(newest_first) for line in f.read_text().splitlines()]
    assert [line[:7] for line in order] == [f"line {n:02d}" for n in range(24, 30)]


def test_backup_count_zero_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=100, backup_count=0)
    for n in range(10):
        sink.write(f"line {n} " + "x" * 40)
    sink.close()
    assert [f.name for f in log_files(path)] == ["app.log"]
    assert path.stat().st_size <= 100


def test_follows_external_rotation_and_deletion(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=0, backup_count=0)  # 0: never rotate itself
    sink.write("first")
    path.rename(tmp_path / "app.log.old")  # logrotate's "create" mode
    sink.write("second")
    path.unlink()
    sink.write("third")
    sink.close()
    assert (tmp_path / "app.log.old").read_text() == "first\n"
    assert path.read_text() == "third\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_counted_and_the_next_line_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=0, backup_count=0)
    sink.write("before")
    real = tmp_path / "real.log"
    path.rename(real)
    path.symlink_to("/dev/full")  # every write now fails with ENOSPC
    before = write_errors.counts.get(sink.name, 0)
    sink.write("lost")
    sink.write("lost too")
    assert write_errors.counts[sink.name] == before + 2
    path.unlink()
    sink.write("after")  # the disk "recovered": a fresh file, a whole line
    sink.close()
    assert real.read_text() == "before\n"
    assert path.read_text() == "after\n"


def test_an_unwritable_path_fails_at_open(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(OSError):
        RotatingFileSink(blocker / "app.log", max_bytes=1000, backup_count=1)
