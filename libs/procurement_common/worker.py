"""The worker process: consumer, outbox relay and timed jobs, one thread each."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimedJob:
    name: str
    every_seconds: float
    run: Callable[[], None]


def run_job(job: TimedJob, stop: threading.Event) -> None:
    while not stop.wait(job.every_seconds):
        try:
            job.run()
        except Exception:  # one failed run must not end the schedule
            log.exception("timed job %s failed", job.name)


def run_worker(name: str, loops: list[Callable[[threading.Event], None]]) -> None:
    """Run each loop in its own thread until SIGTERM or SIGINT."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("%s worker: signal %s, stopping", name, signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # What start-up made lives as long as the process: a full collection
    # walking it (some 80,000 objects, about 100 ms with the GIL held) would
    # stall the consumer and the relay alike. Frozen, it is never walked.
    gc.freeze()
    threads = [
        threading.Thread(target=loop, args=(stop,), name=f"{name}-{i}")
        for i, loop in enumerate(loops)
    ]
    for thread in threads:
        thread.start()
    log.info("%s worker running", name)
    failed = False
    while not stop.wait(0.5):
        dead = [t.name for t in threads if not t.is_alive()]
        if dead:
            # A loop only ends on its own through a bug: stop, and say so in the
            # exit status, so that the supervisor (honcho, compose) notices.
            log.error("%s worker: thread %s ended; stopping", name, dead)
            failed = True
            stop.set()
    for thread in threads:
        thread.join(timeout=15)
    if failed:
        raise SystemExit(1)
