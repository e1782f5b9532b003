"""Several workers: each process gets its own provider after fork; nothing is sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.otlp import OtlpHttpReceiver

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, sys.argv[2])
    from app.tracing import TracingConfig, setup_tracing, traced
    from app.tracing.switch import PROCESS

    config = TracingConfig(otlp_endpoint=sys.argv[1], schedule_delay=0.2)
    parent = setup_tracing(config)  # e.g. gunicorn --preload: built before the fork
    assert setup_tracing(config) is parent  # idempotent in one process
    with traced("parent.before_fork"):
        pass

    children = []
    for worker in range(2):
        pid = os.fork()
        if pid == 0:  # the app factory runs again in each worker
            provider = setup_tracing(config)
            assert provider is not parent
            with traced("worker.span", worker=worker):
                pass
            os._exit(0 if provider.force_flush(10_000) else 3)
        children.append(pid)
    pid = os.fork()
    if pid == 0:  # a worker that never calls setup_tracing: the inherited provider restarts
        with traced("worker.inherited"):
            pass
        os._exit(0 if PROCESS.backend.force_flush(10_000) else 4)
    children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) for child in children]
    parent.force_flush(10_000)
    print(json.dumps(codes))
    """
)


def test_each_worker_has_its_own_provider_and_exports_its_own_spans(
    http_receiver: OtlpHttpReceiver,
) -> None:
    http_receiver.clear()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, http_receiver.endpoint, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [0, 0, 0]
    spans = http_receiver.wait_until(lambda spans: len(spans) >= 4)
    names = sorted(s.name for s in spans)
    assert names == ["parent.before_fork", "worker.inherited", "worker.span", "worker.span"]
    instance = {
        s.name + str(s.attributes.get("worker", "")): s.resource["service.instance.id"]
        for s in spans
    }
    assert (
        len({instance["worker.span0"], instance["worker.span1"], instance["parent.before_fork"]})
        == 3
    )
